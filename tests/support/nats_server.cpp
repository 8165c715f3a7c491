#include "nats_server.hpp"

#include "process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <utility>

namespace natty::test {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto ready_timeout = 10s;
constexpr auto stop_timeout = 5s;
constexpr int start_attempts = 5;
constexpr const char* ready_marker = "Server is ready";
constexpr const char* port_in_use_marker = "address already in use";

// A start failure caused by losing a port race; start() retries with fresh ports.
class PortInUse : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Closes a socket or file descriptor on scope exit.
class UniqueFd {
public:
    explicit UniqueFd(int fd) : m_fd(fd) {}
    ~UniqueFd() {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    int get() const { return m_fd; }

private:
    int m_fd;
};

sockaddr_in loopback_address(int port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

// Asks the kernel for n distinct free loopback ports by binding them all at once.
std::vector<int> pick_free_ports(std::size_t count) {
    std::vector<std::unique_ptr<UniqueFd>> holders;
    std::vector<int> ports;
    for (std::size_t i = 0; i < count; ++i) {
        auto sock = std::make_unique<UniqueFd>(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (sock->get() < 0) {
            throw std::runtime_error(std::string("socket failed: ") + std::strerror(errno));
        }
        sockaddr_in address = loopback_address(0);
        socklen_t length = sizeof address;
        if (::bind(sock->get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
            ::getsockname(sock->get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
            throw std::runtime_error(std::string("cannot reserve a port: ") +
                                     std::strerror(errno));
        }
        ports.push_back(ntohs(address.sin_port));
        holders.push_back(std::move(sock));
    }
    return ports;
}

std::string read_file(const std::filesystem::path& path, std::uintmax_t offset = 0) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return {};
    }
    in.seekg(static_cast<std::streamoff>(offset));
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

std::uintmax_t file_size_or_zero(const std::filesystem::path& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    return ec ? 0 : size;
}

// A double-quoted NATS config string. nats-server 2.9's config lexer takes \" and \\ and \xNN
// (any byte) inside double quotes, and UTF-8 as is; control characters are written as \xNN.
std::string quote(const std::string& value) {
    static constexpr char k_hex[] = "0123456789abcdef";
    std::string result = "\"";
    for (char c : value) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            result += '\\';
            result += c;
        } else if (byte < 0x20 || byte == 0x7f) {
            result += "\\x";
            result += k_hex[byte >> 4];
            result += k_hex[byte & 15];
        } else {
            result += c;
        }
    }
    return result + "\"";
}

std::string quote_list(const std::vector<std::string>& values) {
    std::string result = "[";
    for (std::size_t i = 0; i < values.size(); ++i) {
        result += (i == 0 ? "" : ", ") + quote(values[i]);
    }
    return result + "]";
}

std::string tail_lines(const std::string& text, std::size_t lines) {
    std::size_t pos = text.size();
    if (pos > 0 && text[pos - 1] == '\n') {
        --pos;
    }
    for (std::size_t found = 0; pos > 0; --pos) {
        if (text[pos - 1] == '\n' && ++found == lines) {
            break;
        }
    }
    return text.substr(pos);
}

void sleep_briefly() { std::this_thread::sleep_for(20ms); }

} // namespace

int connect_loopback(int port, std::chrono::milliseconds timeout) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return -1;
    }
    sockaddr_in address = loopback_address(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        if (errno != EINPROGRESS) {
            ::close(fd);
            return -1;
        }
        pollfd pfd{fd, POLLOUT, 0};
        int error = 0;
        socklen_t length = sizeof error;
        if (::poll(&pfd, 1, static_cast<int>(timeout.count())) != 1 ||
            ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0) {
            ::close(fd);
            return -1;
        }
    }
    const int flags = ::fcntl(fd, F_GETFL);
    ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    return fd;
}

HttpResponse http_get(int port, const std::string& path, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    UniqueFd sock(connect_loopback(port, timeout));
    if (sock.get() < 0) {
        return {};
    }
    const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1:" +
                                std::to_string(port) + "\r\nConnection: close\r\n\r\n";
    std::size_t sent = 0;
    while (sent < request.size()) {
        ssize_t n = ::send(sock.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) {
            return {};
        }
        sent += static_cast<std::size_t>(n);
    }

    std::string response;
    for (;;) {
        const auto remaining =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (remaining.count() <= 0) {
            return {};
        }
        pollfd pfd{sock.get(), POLLIN, 0};
        if (::poll(&pfd, 1, static_cast<int>(remaining.count())) <= 0) {
            return {};
        }
        char buffer[8192];
        ssize_t n = ::recv(sock.get(), buffer, sizeof buffer, 0);
        if (n < 0) {
            return {};
        }
        if (n == 0) {
            break;
        }
        response.append(buffer, static_cast<std::size_t>(n));
    }

    HttpResponse result;
    // "HTTP/1.1 200 OK": the status is the second word of the first line.
    const auto space = response.find(' ');
    if (response.compare(0, 5, "HTTP/") != 0 || space == std::string::npos) {
        return {};
    }
    result.status = std::atoi(response.c_str() + space + 1);
    const auto body = response.find("\r\n\r\n");
    if (body != std::string::npos) {
        result.body = response.substr(body + 4);
    }
    return result;
}

NatsServer::NatsServer(ServerOptions opts, std::filesystem::path dir)
    : m_options(std::move(opts)),
      m_dir(std::filesystem::absolute(dir)),
      m_config_path(m_dir / "server.conf"),
      m_log_path(m_dir / "server.log"),
      m_out_path(m_dir / "server.out") {
    if (m_options.token && !m_options.users.empty()) {
        throw std::invalid_argument("ServerOptions: nats-server rejects a token with users");
    }
    std::filesystem::create_directories(m_dir);
}

NatsServer::~NatsServer() { stop(); }

std::unique_ptr<NatsServer> NatsServer::start(ServerOptions opts,
                                              const std::filesystem::path& dir) {
    std::unique_ptr<NatsServer> server(new NatsServer(std::move(opts), dir));
    for (int attempt = 1;; ++attempt) {
        const std::vector<int> ports = pick_free_ports(2);
        server->m_port = ports[0];
        server->m_monitor_port = ports[1];
        server->write_config(std::nullopt);
        server->launch();
        try {
            server->wait_ready(server->m_options.jetstream, ready_timeout);
            return server;
        } catch (const PortInUse&) {
            server->stop();
            if (attempt == start_attempts) {
                throw;
            }
        }
    }
}

void NatsServer::write_config(const std::optional<ClusterSettings>& cluster) const {
    std::ostringstream conf;
    conf << "# Generated by natty's integration-test fixture.\n";
    if (cluster) {
        conf << "server_name: " << quote(cluster->server_name) << "\n";
    }
    conf << "http: " << quote("127.0.0.1:" + std::to_string(m_monitor_port)) << "\n";
    if (m_options.max_payload) {
        conf << "max_payload: " << *m_options.max_payload << "\n";
    }
    if (m_options.jetstream) {
        conf << "jetstream {\n    store_dir: " << quote((m_dir / "js").string()) << "\n";
        if (m_options.js_max_memory) {
            conf << "    max_memory_store: " << *m_options.js_max_memory << "\n";
        }
        if (m_options.js_max_file) {
            conf << "    max_file_store: " << *m_options.js_max_file << "\n";
        }
        conf << "}\n";
    }
    if (!m_options.users.empty()) {
        conf << "authorization {\n    users: [\n";
        for (const User& user : m_options.users) {
            conf << "        {user: " << quote(user.user) << ", password: " << quote(user.password);
            if (!user.publish_allow.empty() || !user.subscribe_allow.empty()) {
                conf << ", permissions: {";
                if (!user.publish_allow.empty()) {
                    conf << "publish: {allow: " << quote_list(user.publish_allow) << "}";
                }
                if (!user.subscribe_allow.empty()) {
                    conf << (user.publish_allow.empty() ? "" : ", ")
                         << "subscribe: {allow: " << quote_list(user.subscribe_allow) << "}";
                }
                conf << "}";
            }
            conf << "}\n";
        }
        conf << "    ]\n}\n";
    }
    if (m_options.token) {
        conf << "authorization {\n    token: " << quote(*m_options.token) << "\n}\n";
    }
    if (m_options.tls) {
        const TlsConfig& tls = *m_options.tls;
        conf << "tls {\n    cert_file: " << quote(tls.cert.string()) << "\n"
             << "    key_file: " << quote(tls.key.string()) << "\n";
        if (tls.verify_ca) {
            conf << "    ca_file: " << quote(tls.verify_ca->string()) << "\n    verify: true\n";
        }
        // Generous so sanitizer builds on a busy CI machine do not trip the 2 s default.
        conf << "    timeout: 5\n}\n";
    }
    if (cluster) {
        std::vector<std::string> routes;
        for (int port : cluster->route_ports) {
            routes.push_back("nats-route://127.0.0.1:" + std::to_string(port));
        }
        conf << "cluster {\n    name: " << quote(cluster->cluster_name) << "\n"
             << "    listen: " << quote("127.0.0.1:" + std::to_string(cluster->cluster_port))
             << "\n    routes: " << quote_list(routes) << "\n}\n";
    }
    if (!m_options.extra_config.empty()) {
        conf << m_options.extra_config << "\n";
    }

    std::ofstream out(m_config_path, std::ios::trunc);
    out << conf.str();
    if (!out.flush()) {
        throw std::runtime_error("cannot write " + m_config_path.string());
    }
}

void NatsServer::launch() {
    m_log_offset = file_size_or_zero(m_log_path);
    // Errors from before the log file is open (e.g. a bad config) land in server.out.
    const int out = ::open(m_out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out < 0) {
        throw std::runtime_error("cannot open " + m_out_path.string() + ": " +
                                 std::strerror(errno));
    }
    const UniqueFd out_guard(out);
    detail::ExecSpec spec{{nats_server_bin(), "-c", m_config_path.string(), "-a", "127.0.0.1",
                           "-p", std::to_string(m_port), "-l", m_log_path.string()},
                          detail::child_env({}),
                          m_dir};
    m_pid = detail::fork_exec(spec, -1, out, out);
    m_paused = false;
}

std::string NatsServer::poll_exit() {
    if (m_pid <= 0) {
        return "not running";
    }
    int status = 0;
    if (::waitpid(m_pid, &status, WNOHANG) != m_pid) {
        return {};
    }
    m_pid = -1;
    if (WIFEXITED(status)) {
        return "exited with status " + std::to_string(WEXITSTATUS(status));
    }
    return "killed by signal " + std::to_string(WTERMSIG(status));
}

std::string NatsServer::log_since_launch() const {
    const std::uintmax_t size = file_size_or_zero(m_log_path);
    // A shrunken file was truncated or rotated: everything in it is new.
    return read_file(m_log_path, size < m_log_offset ? 0 : m_log_offset);
}

void NatsServer::wait_ready(bool wait_healthy, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    bool accepting = false;
    bool logged_ready = false;
    bool healthy = !wait_healthy;
    std::string failure;
    for (;;) {
        if (std::string exit_status = poll_exit(); !exit_status.empty()) {
            failure = "nats-server " + exit_status + " before it was ready";
            break;
        }
        if (!accepting) {
            UniqueFd probe(connect_loopback(m_port, 500ms));
            accepting = probe.get() >= 0;
        }
        if (!logged_ready) {
            logged_ready = log_since_launch().find(ready_marker) != std::string::npos;
        }
        if (accepting && logged_ready && !healthy) {
            healthy = monitor("/healthz").status == 200;
        }
        if (accepting && logged_ready && healthy) {
            return;
        }
        if (Clock::now() >= deadline) {
            failure = "nats-server not ready after " + std::to_string(timeout.count()) +
                      " ms (accepting=" + std::to_string(accepting) +
                      ", logged ready=" + std::to_string(logged_ready) +
                      ", healthz ok=" + std::to_string(healthy) + ")";
            break;
        }
        sleep_briefly();
    }
    const std::string message = failure + " on port " + std::to_string(m_port) + " in " +
                                m_dir.string() + "\n--- log tail ---\n" + log_tail();
    const bool port_race = log_since_launch().find(port_in_use_marker) != std::string::npos ||
                           read_file(m_out_path).find(port_in_use_marker) != std::string::npos;
    stop();
    if (port_race) {
        throw PortInUse(message);
    }
    throw std::runtime_error(message);
}

std::string NatsServer::url() const { return url_for_host("127.0.0.1"); }

std::string NatsServer::url_for_host(const std::string& host) const {
    const bool ipv6 = host.find(':') != std::string::npos && host.front() != '[';
    return "nats://" + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(m_port);
}

HttpResponse NatsServer::monitor(const std::string& path) const {
    return http_get(m_monitor_port, path);
}

void NatsServer::stop() noexcept {
    if (m_pid <= 0) {
        return;
    }
    ::kill(m_pid, SIGTERM);
    // A stopped process keeps SIGTERM pending until it is continued.
    ::kill(m_pid, SIGCONT);
    const auto deadline = Clock::now() + stop_timeout;
    int status = 0;
    while (::waitpid(m_pid, &status, WNOHANG) == 0) {
        if (Clock::now() >= deadline) {
            ::kill(m_pid, SIGKILL);
            while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
            }
            break;
        }
        std::this_thread::sleep_for(10ms);
    }
    m_pid = -1;
    m_paused = false;
}

void NatsServer::kill9() noexcept {
    if (m_pid <= 0) {
        return;
    }
    ::kill(m_pid, SIGKILL);
    int status = 0;
    while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
    }
    m_pid = -1;
    m_paused = false;
}

void NatsServer::restart(bool wait_healthy) {
    stop();
    launch();
    wait_ready(wait_healthy && m_options.jetstream, ready_timeout);
}

void NatsServer::pause() {
    if (m_pid <= 0 || ::kill(m_pid, SIGSTOP) != 0) {
        throw std::runtime_error("NatsServer::pause: server is not running");
    }
    // SIGSTOP is asynchronous; only return once the server can no longer answer anything.
    int status = 0;
    pid_t result = 0;
    do {
        result = ::waitpid(m_pid, &status, WUNTRACED);
    } while (result < 0 && errno == EINTR);
    if (result == m_pid && !WIFSTOPPED(status)) {
        m_pid = -1;
        throw std::runtime_error("NatsServer::pause: server exited\n" + log_tail());
    }
    m_paused = true;
}

void NatsServer::resume() {
    if (m_pid <= 0 || ::kill(m_pid, SIGCONT) != 0) {
        throw std::runtime_error("NatsServer::resume: server is not running");
    }
    m_paused = false;
}

std::string NatsServer::log() const {
    std::string text = read_file(m_log_path);
    const std::string out = read_file(m_out_path);
    if (!out.empty()) {
        text += "--- nats-server stdout/stderr ---\n" + out;
    }
    return text;
}

std::string NatsServer::log_tail(std::size_t lines) const { return tail_lines(log(), lines); }

std::string NatsServer::config() const { return read_file(m_config_path); }

std::unique_ptr<NatsCluster> NatsCluster::start(ServerOptions common,
                                                const std::filesystem::path& dir) {
    constexpr std::size_t node_count = 3;
    common.jetstream = true;
    std::unique_ptr<NatsCluster> cluster(new NatsCluster());
    for (std::size_t i = 0; i < node_count; ++i) {
        cluster->m_nodes.emplace_back(
            new NatsServer(common, dir / ("n" + std::to_string(i + 1))));
    }

    for (int attempt = 1;; ++attempt) {
        // Per node: client, monitoring and route port.
        const std::vector<int> ports = pick_free_ports(3 * node_count);
        for (std::size_t i = 0; i < node_count; ++i) {
            NatsServer& node = *cluster->m_nodes[i];
            NatsServer::ClusterSettings settings;
            settings.server_name = "n" + std::to_string(i + 1);
            settings.cluster_name = "natty";
            settings.cluster_port = ports[3 * i + 2];
            for (std::size_t peer = 0; peer < node_count; ++peer) {
                if (peer != i) {
                    settings.route_ports.push_back(ports[3 * peer + 2]);
                }
            }
            node.m_name = settings.server_name;
            node.m_port = ports[3 * i];
            node.m_monitor_port = ports[3 * i + 1];
            node.write_config(settings);
        }
        try {
            for (auto& node : cluster->m_nodes) {
                node->launch();
            }
            // Healthz needs a quorum, so first every node must be up, then the meta leader.
            for (auto& node : cluster->m_nodes) {
                node->wait_ready(false, ready_timeout);
            }
            break;
        } catch (const PortInUse&) {
            cluster->stop();
            if (attempt == start_attempts) {
                throw;
            }
        } catch (...) {
            cluster->stop();
            throw;
        }
    }
    cluster->wait_for_meta_leader();
    return cluster;
}

NatsCluster::~NatsCluster() { stop(); }

void NatsCluster::stop() noexcept {
    for (auto& node : m_nodes) {
        node->stop();
    }
}

NatsServer& NatsCluster::node(std::size_t i) {
    if (i >= m_nodes.size()) {
        throw std::out_of_range("NatsCluster::node(" + std::to_string(i) + ")");
    }
    return *m_nodes[i];
}

std::string NatsCluster::urls() const {
    std::string result;
    for (const auto& node : m_nodes) {
        result += (result.empty() ? "" : ",") + node->url();
    }
    return result;
}

std::string NatsCluster::meta_leader() const {
    for (const auto& node : m_nodes) {
        if (!node->running()) {
            continue;
        }
        const HttpResponse jsz = node->monitor("/jsz");
        if (jsz.status != 200) {
            return {};
        }
        const auto doc = nlohmann::json::parse(jsz.body, nullptr, false);
        if (doc.is_discarded() || !doc.contains("meta_cluster")) {
            return {};
        }
        return doc["meta_cluster"].value("leader", "");
    }
    return {};
}

void NatsCluster::wait_for_meta_leader(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        std::string leader;
        bool agreed = true;
        for (const auto& node : m_nodes) {
            if (!node->running()) {
                continue;
            }
            if (node->monitor("/healthz").status != 200) {
                agreed = false;
                break;
            }
            const HttpResponse jsz = node->monitor("/jsz");
            const auto doc = nlohmann::json::parse(jsz.body, nullptr, false);
            std::string seen;
            if (jsz.status == 200 && !doc.is_discarded() && doc.contains("meta_cluster")) {
                seen = doc["meta_cluster"].value("leader", "");
            }
            if (seen.empty() || (!leader.empty() && seen != leader)) {
                agreed = false;
                break;
            }
            leader = seen;
        }
        if (agreed && !leader.empty()) {
            return;
        }
        if (Clock::now() >= deadline) {
            throw std::runtime_error("JetStream meta leader not elected within " +
                                     std::to_string(timeout.count()) + " ms\n" + logs_tail());
        }
        std::this_thread::sleep_for(100ms);
    }
}

std::string NatsCluster::logs_tail() const {
    std::string text;
    for (const auto& node : m_nodes) {
        text += "--- " + node->name() + " (" + node->dir().string() + ") log tail ---\n" +
                node->log_tail(20);
    }
    return text;
}

} // namespace natty::test
