#pragma once

#include <netdb.h>
#include <sys/socket.h>

#include <memory>
#include <string>
#include <utility>

namespace natty::net {

// Calls a C library's free function; lets unique_ptr own libc and OpenSSL objects.
template <auto FreeFn>
struct Free {
    template <typename T>
    void operator()(T* p) const noexcept {
        FreeFn(p);
    }
};

using AddrInfoPtr = std::unique_ptr<addrinfo, Free<freeaddrinfo>>;

// Owns a socket descriptor.
class Socket {
public:
    explicit Socket(int fd = -1) : m_fd(fd) {}
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    Socket(Socket&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
    Socket& operator=(Socket&& other) noexcept {
        std::swap(m_fd, other.m_fd);
        return *this;
    }
    ~Socket();
    int fd() const { return m_fd; }

private:
    int m_fd;
};

// The TCP addresses of host:port in resolver order; on failure an empty list and `error` says
// `cannot resolve host "<host>": <reason>`.
AddrInfoPtr resolve_tcp(const std::string& host, int port, std::string& error);

// "127.0.0.1" or "::1"; "" for other address families.
std::string address_text(const sockaddr* address);

} // namespace natty::net
