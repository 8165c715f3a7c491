#include <natty/net/socket.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

namespace natty::net {

Socket::~Socket() {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

AddrInfoPtr resolve_tcp(const std::string& host, int port, std::string& error) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* raw = nullptr;
    const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &raw);
    AddrInfoPtr list(raw);
    if (rc != 0) {
        error = "cannot resolve host \"" + host + "\": " + ::gai_strerror(rc);
        return nullptr;
    }
    return list;
}

std::string address_text(const sockaddr* address) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (address->sa_family == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(address);
        ::inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
    } else if (address->sa_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
        ::inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
    }
    return buf;
}

} // namespace natty::net
