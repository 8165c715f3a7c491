#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace natty::test {

// Server-side TLS for client connections.
struct TlsConfig {
    std::filesystem::path cert, key;
    // Set => verify: true, i.e. clients must present a certificate signed by this CA (mTLS).
    std::optional<std::filesystem::path> verify_ca;
};

// One entry of `authorization { users: [...] }`.
struct User {
    std::string user, password;
    // Empty lists mean no restriction in that direction (no permissions block at all if both are).
    std::vector<std::string> publish_allow;
    std::vector<std::string> subscribe_allow;
};

// Everything a test may want to vary in the generated server.conf.
struct ServerOptions {
    bool jetstream = false;
    // Bytes, written as max_memory_store / max_file_store in the jetstream {} block.
    std::optional<std::int64_t> js_max_memory, js_max_file;
    // Non-empty => authorization { users: [...] }; cannot be combined with token.
    std::vector<User> users;
    // authorization { token: ... }
    std::optional<std::string> token;
    std::optional<TlsConfig> tls;
    std::optional<std::int64_t> max_payload;
    // Appended verbatim at the end of server.conf.
    std::string extra_config;
};

// A reply from the monitoring port; status 0 means no HTTP response at all.
struct HttpResponse {
    int status = 0;
    std::string body;
};

// Plain-socket HTTP/1.0 GET against 127.0.0.1:port, so tests need no HTTP client library.
HttpResponse http_get(int port, const std::string& path,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));

// Opens a TCP connection to 127.0.0.1:port; returns the fd (caller closes) or -1.
int connect_loopback(int port, std::chrono::milliseconds timeout = std::chrono::milliseconds(1000));

// A real nats-server child on loopback, owned by one test and never outliving it.
class NatsServer {
public:
    // Writes <dir>/server.conf, starts nats-server on a free port and waits until it is ready.
    static std::unique_ptr<NatsServer> start(ServerOptions opts, const std::filesystem::path& dir);

    NatsServer(const NatsServer&) = delete;
    NatsServer& operator=(const NatsServer&) = delete;
    ~NatsServer();

    // "nats://127.0.0.1:<port>"
    std::string url() const;
    // The same port under another name, e.g. "nats://localhost:<port>" for TLS hostname checks.
    std::string url_for_host(const std::string& host) const;
    int port() const { return m_port; }
    // The process id, or -1 while the server is stopped.
    pid_t pid() const { return m_pid; }
    bool running() const { return m_pid > 0; }
    // HTTP monitoring port (every server gets one, bound to 127.0.0.1).
    int monitor_port() const { return m_monitor_port; }
    // GET on the monitoring port, e.g. monitor("/varz").
    HttpResponse monitor(const std::string& path) const;

    // SIGTERM (plus SIGCONT if paused), up to 5 s, then SIGKILL; reaps; idempotent.
    void stop() noexcept;
    // SIGKILL and reap, to simulate a crash.
    void kill9() noexcept;
    // Starts again with the same config, port and store; waits ready (and /healthz for JetStream
    // unless wait_healthy is false, e.g. when a cluster node cannot reach quorum on its own).
    void restart(bool wait_healthy = true);
    // SIGSTOP, returning once the process is actually stopped (connections hang, no replies).
    void pause();
    // SIGCONT.
    void resume();

    // The server log (plus anything nats-server printed to stdout/stderr), for failure messages.
    std::string log() const;
    // The last lines of log().
    std::string log_tail(std::size_t lines = 40) const;
    const std::filesystem::path& dir() const { return m_dir; }
    const std::filesystem::path& config_path() const { return m_config_path; }
    // Contents of server.conf as written.
    std::string config() const;
    const ServerOptions& options() const { return m_options; }
    // server_name for cluster nodes ("n1".."n3"), empty for a standalone server.
    const std::string& name() const { return m_name; }

private:
    friend class NatsCluster;

    // Where a clustered node listens for routes and which peers it dials.
    struct ClusterSettings {
        std::string server_name;
        std::string cluster_name;
        int cluster_port = 0;
        std::vector<int> route_ports;
    };

    NatsServer(ServerOptions opts, std::filesystem::path dir);

    void write_config(const std::optional<ClusterSettings>& cluster) const;
    // Forks nats-server; does not wait.
    void launch();
    // Throws PortInUse (a runtime_error) or std::runtime_error with the log tail.
    void wait_ready(bool wait_healthy, std::chrono::milliseconds timeout);
    // Reaps the child if it has exited; returns its wait status description or "".
    std::string poll_exit();
    std::string log_since_launch() const;

    ServerOptions m_options;
    std::filesystem::path m_dir;
    std::filesystem::path m_config_path;
    std::filesystem::path m_log_path;
    std::filesystem::path m_out_path;
    std::string m_name;
    int m_port = 0;
    int m_monitor_port = 0;
    pid_t m_pid = -1;
    bool m_paused = false;
    std::uintmax_t m_log_offset = 0;
};

// Three JetStream nodes n1..n3 in cluster "natty", routed to each other on 127.0.0.1.
class NatsCluster {
public:
    // Each node lives in <dir>/n1..n3 with its own store; returns once a meta leader is elected.
    static std::unique_ptr<NatsCluster> start(ServerOptions common,
                                              const std::filesystem::path& dir);

    NatsCluster(const NatsCluster&) = delete;
    NatsCluster& operator=(const NatsCluster&) = delete;
    ~NatsCluster();

    // Zero-based: node(0) is n1.
    NatsServer& node(std::size_t i);
    std::size_t size() const { return m_nodes.size(); }
    // Comma-separated client URLs of all nodes.
    std::string urls() const;
    // Polls /healthz and /jsz on every running node until all agree on a meta leader; throws.
    void wait_for_meta_leader(std::chrono::milliseconds timeout = std::chrono::seconds(20));
    // The meta leader's server_name as reported by the first running node, or "" if none.
    std::string meta_leader() const;
    // Stops every node; idempotent.
    void stop() noexcept;

private:
    NatsCluster() = default;

    std::string logs_tail() const;

    std::vector<std::unique_ptr<NatsServer>> m_nodes;
};

} // namespace natty::test
