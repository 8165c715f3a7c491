// Something that is not a NATS server listens on the port: a small socket in the test greets
// each client with crafted bytes. natty must fail as a connection failure (exit 4) with one
// printable line, and its memory must not follow the server's line length.
#include "sandbox.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <natty/net/probe.hpp>
#include <natty/util/url.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>

using namespace natty::test;

namespace {

constexpr int k_connect = 4;

// Accepts clients one at a time on a loopback port, sends each `greeting`, then reads what the
// client sends (answering PING with PONG when asked) until it hangs up or the server stops.
class HostileServer {
public:
    explicit HostileServer(std::string greeting, bool answer_ping = false)
        : m_greeting(std::move(greeting)), m_answer_ping(answer_ping) {
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        REQUIRE(::bind(m_fd, reinterpret_cast<sockaddr*>(&addr), len) == 0);
        REQUIRE(::listen(m_fd, 8) == 0);
        REQUIRE(::getsockname(m_fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
        m_port = ntohs(addr.sin_port);
        m_thread = std::thread([this] { serve(); });
    }
    HostileServer(const HostileServer&) = delete;
    HostileServer& operator=(const HostileServer&) = delete;
    ~HostileServer() {
        m_stop = true;
        m_thread.join();
        ::close(m_fd);
    }

    std::string url() const { return "nats://127.0.0.1:" + std::to_string(m_port); }
    // Everything the clients sent, up to 64 KiB.
    std::string received() const {
        std::lock_guard lock(m_mutex);
        return m_received;
    }

private:
    bool wait_readable(int fd) const {
        pollfd pfd{fd, POLLIN, 0};
        return ::poll(&pfd, 1, 50) > 0;
    }

    void serve() {
        while (!m_stop) {
            if (!wait_readable(m_fd)) {
                continue;
            }
            const int client = ::accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC);
            if (client < 0) {
                continue;
            }
            const timeval send_timeout{2, 0};
            ::setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
            talk(client);
            ::close(client);
        }
    }

    void talk(int client) {
        std::string_view rest = m_greeting;
        while (!rest.empty() && !m_stop) {
            const ssize_t n = ::send(client, rest.data(), rest.size(), MSG_NOSIGNAL);
            if (n <= 0) {
                return; // the client hung up mid-greeting
            }
            rest.remove_prefix(static_cast<std::size_t>(n));
        }
        char buf[4096];
        while (!m_stop) {
            if (!wait_readable(client)) {
                continue;
            }
            const ssize_t n = ::recv(client, buf, sizeof buf, 0);
            if (n <= 0) {
                return;
            }
            std::lock_guard lock(m_mutex);
            if (m_received.size() < 65536) {
                m_received.append(buf, static_cast<std::size_t>(n));
            }
            if (m_answer_ping && m_received.find("PING\r\n") != std::string::npos) {
                ::send(client, "PONG\r\n", 6, MSG_NOSIGNAL);
            }
        }
    }

    std::string m_greeting;
    bool m_answer_ping;
    int m_fd = -1;
    int m_port = 0;
    std::atomic<bool> m_stop{false};
    mutable std::mutex m_mutex;
    std::string m_received;
    std::thread m_thread;
};

// `natty pub` against the server: it must fail to connect, nothing else.
RunResult publish_to(const HostileServer& server) {
    Sandbox sandbox;
    return sandbox.natty({"--no-context", "-s", server.url(), "--timeout", "2s", "pub", "x", "y"},
                         RunOptions{.timeout = std::chrono::seconds(20)});
}

// The one "natty: error:" line, checked to be printable text.
std::string error_line(const RunResult& result) {
    std::string line;
    for (const auto& l : lines_of(result.err)) {
        if (l.rfind("natty: error: ", 0) == 0) {
            CHECK(line.empty());
            line = l;
        }
    }
    for (const char c : line) {
        CHECK(static_cast<unsigned char>(c) >= 0x20);
    }
    return line;
}

} // namespace

TEST_CASE("a malformed INFO is a connection failure with a one-line reason", "[hostile]") {
    SECTION("not JSON, with terminal escapes and a bare CR in it") {
        HostileServer server("INFO {\"server_id\": \x1b[31mnot json\r}\r\n");
        const auto result = publish_to(server);
        INFO(result.err);
        CHECK(result.exit_code == k_connect);
        const std::string line = error_line(result);
        CHECK(contains(line, "cannot connect to " + server.url()));
        CHECK_FALSE(contains(result.err, "\x1b"));
    }
    SECTION("not INFO at all") {
        HostileServer server("HELLO there\r\n");
        const auto result = publish_to(server);
        INFO(result.err);
        CHECK(result.exit_code == k_connect);
        CHECK(contains(error_line(result), "cannot connect to " + server.url()));
    }
}

TEST_CASE("an 8 MB INFO line is a connection failure read no further than a bounded buffer",
          "[hostile]") {
    HostileServer server("INFO {\"server_id\":\"" + std::string(8 << 20, 'x') + "\"}\r\n");
    const auto result = publish_to(server);
    INFO(result.err);
    CHECK(result.exit_code == k_connect);
    const std::string line = error_line(result);
    CHECK(contains(line, "cannot connect to " + server.url()));
    CHECK(line.size() < 400);
}

TEST_CASE("the probe sends a CONNECT with invalid UTF-8 credentials as valid JSON", "[hostile]") {
    HostileServer server("INFO {\"server_id\":\"x\",\"proto\":1}\r\n", true);
    natty::net::ProbeOptions options;
    options.timeout = std::chrono::seconds(5);
    options.protocol_handshake = true;
    options.user = "u\xff";
    options.password = "p\"\xc3\x28";
    options.connection_name = "n\xfe";
    const auto result = natty::net::probe(natty::parse_server_list(server.url()).front(), options);
    INFO(result.error);
    CHECK(result.handshake_done);
    const std::string sent = server.received();
    REQUIRE(sent.rfind("CONNECT ", 0) == 0);
    const auto connect = nlohmann::json::parse(sent.substr(8, sent.find("\r\n") - 8));
    CHECK(connect.at("user") == "u\xef\xbf\xbd");
    CHECK(connect.at("pass") == "p\"\xef\xbf\xbd(");
    CHECK(connect.at("name") == "n\xef\xbf\xbd");
}

TEST_CASE("INFO flags that are not JSON booleans are false, not an exception", "[hostile]") {
    // nlohmann's value("tls_required", false) threw type_error out of probe() for these.
    HostileServer server(
        "INFO {\"server_id\":\"x\",\"proto\":1,\"tls_required\":\"yes\",\"tls_available\":1}"
        "\r\n",
        true);
    natty::net::ProbeOptions options;
    options.timeout = std::chrono::seconds(5);
    options.protocol_handshake = true;
    const auto result = natty::net::probe(natty::parse_server_list(server.url()).front(), options);
    INFO(result.error);
    CHECK_FALSE(result.tls_required);
    CHECK_FALSE(result.tls_available);
    CHECK(result.handshake_done);
}

TEST_CASE("a handshake answer without a line end is refused once it is too long", "[hostile]") {
    // The probe read such an answer into memory for as long as the server kept sending.
    HostileServer server("INFO {\"server_id\":\"x\",\"proto\":1}\r\n"
                         + std::string(1 << 20, 'x'));
    natty::net::ProbeOptions options;
    options.timeout = std::chrono::seconds(5);
    options.protocol_handshake = true;
    const auto result = natty::net::probe(natty::parse_server_list(server.url()).front(), options);
    INFO(result.error);
    CHECK(result.failed_at == natty::net::ProbeStage::handshake);
    CHECK(result.error.find("oversized protocol line") != std::string::npos);
    CHECK_FALSE(result.timed_out);
}

TEST_CASE("a server that announces TLS and never completes the handshake fails within --timeout",
          "[hostile][tls]") {
    // nats.c 3.4 runs the TLS handshake on a blocking socket without a timeout: before natty
    // bounded it, each of these waited until the server hung up (here: never).
    HostileServer server("INFO {\"server_id\":\"x\",\"proto\":1,\"tls_required\":true}\r\n");
    const std::vector<std::vector<std::string>> commands = {
        {"pub", "x", "y"}, {"request", "x", "y"}, {"rtt"}};
    for (const auto& command : commands) {
        INFO(command.front());
        std::vector<std::string> args = {"--no-context", "-s", server.url(), "--timeout", "1s"};
        args.insert(args.end(), command.begin(), command.end());
        Sandbox sandbox;
        const auto result = sandbox.natty(args, RunOptions{.timeout = std::chrono::seconds(15)});
        INFO(result.out << result.err);
        CHECK_FALSE(result.timed_out);
        CHECK(result.exit_code == k_connect);
        CHECK(contains(result.out + result.err, "timed out after 1s"));
    }
}
