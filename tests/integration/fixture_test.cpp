#include "nats_server.hpp"
#include "pki.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace natty::test;

namespace {

using Clock = std::chrono::steady_clock;

// Owns a connected socket so a failed REQUIRE never leaks it.
class Conn {
public:
    explicit Conn(int fd) : m_fd(fd) {}
    ~Conn() {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
    }
    Conn(const Conn&) = delete;
    Conn& operator=(const Conn&) = delete;
    int fd() const { return m_fd; }

private:
    int m_fd;
};

// Reads from a plain socket until needle appears, EOF or the timeout; returns what arrived.
std::string read_until(int fd, const std::string& needle, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    std::string data;
    while (data.find(needle) == std::string::npos) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                               Clock::now());
        if (left.count() <= 0) {
            break;
        }
        pollfd pfd{fd, POLLIN, 0};
        if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) {
            break;
        }
        char buffer[4096];
        ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) {
            break;
        }
        data.append(buffer, static_cast<std::size_t>(n));
    }
    return data;
}

void send_all(int fd, const std::string& data) {
    REQUIRE(::send(fd, data.data(), data.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(data.size()));
}

// Speaks just enough NATS protocol over a plain socket to prove what the server enforces;
// fields are extra CONNECT members such as credentials.
std::string connect_and_ping(int port, const std::string& fields = "") {
    const std::string connect_json =
        "{\"verbose\":false" + (fields.empty() ? "" : "," + fields) + "}";
    Conn conn(connect_loopback(port));
    REQUIRE(conn.fd() >= 0);
    const std::string info = read_until(conn.fd(), "\r\n", 5s);
    REQUIRE(info.rfind("INFO ", 0) == 0);
    send_all(conn.fd(), "CONNECT " + connect_json + "\r\nPING\r\n");
    return read_until(conn.fd(), "\r\n", 5s);
}

template <auto FreeFn>
struct Free {
    template <class T>
    void operator()(T* object) const noexcept {
        FreeFn(object);
    }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, Free<&SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, Free<&SSL_free>>;
using X509Ptr = std::unique_ptr<X509, Free<&X509_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, Free<&X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Free<&X509_STORE_CTX_free>>;

// What a TLS client sees when it talks to the server the way natty will.
struct TlsProbe {
    std::string info;
    bool handshake_ok = false;
    long verify_result = -1;
    bool pong = false;
    X509Ptr peer;
};

struct ClientCert {
    fs::path cert, key;
};

// NATS sends INFO in plaintext, then expects the TLS handshake; then CONNECT/PING should PONG.
TlsProbe tls_probe(int port, const fs::path& ca, const std::string& host,
                   const std::optional<ClientCert>& client = std::nullopt) {
    TlsProbe probe;
    Conn conn(connect_loopback(port));
    REQUIRE(conn.fd() >= 0);
    timeval io_timeout{5, 0};
    ::setsockopt(conn.fd(), SOL_SOCKET, SO_RCVTIMEO, &io_timeout, sizeof io_timeout);
    ::setsockopt(conn.fd(), SOL_SOCKET, SO_SNDTIMEO, &io_timeout, sizeof io_timeout);
    probe.info = read_until(conn.fd(), "\r\n", 5s);
    REQUIRE(probe.info.rfind("INFO ", 0) == 0);

    SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
    REQUIRE(ctx);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    REQUIRE(SSL_CTX_load_verify_locations(ctx.get(), ca.c_str(), nullptr) == 1);
    if (client) {
        REQUIRE(SSL_CTX_use_certificate_file(ctx.get(), client->cert.c_str(), SSL_FILETYPE_PEM) ==
                1);
        REQUIRE(SSL_CTX_use_PrivateKey_file(ctx.get(), client->key.c_str(), SSL_FILETYPE_PEM) ==
                1);
    }
    SslPtr ssl(SSL_new(ctx.get()));
    REQUIRE(ssl);
    // Like a real client: an IP address is matched against IP SANs, a name against DNS SANs.
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), host.c_str()) != 1) {
        REQUIRE(SSL_set1_host(ssl.get(), host.c_str()) == 1);
    }
    REQUIRE(SSL_set_fd(ssl.get(), conn.fd()) == 1);

    probe.handshake_ok = SSL_connect(ssl.get()) == 1;
    probe.verify_result = SSL_get_verify_result(ssl.get());
    probe.peer.reset(SSL_get1_peer_certificate(ssl.get()));
    if (probe.handshake_ok) {
        const std::string request = "CONNECT {\"verbose\":false}\r\nPING\r\n";
        if (SSL_write(ssl.get(), request.data(), static_cast<int>(request.size())) > 0) {
            std::string reply;
            char buffer[1024];
            int n = 0;
            while (reply.find("\r\n") == std::string::npos &&
                   (n = SSL_read(ssl.get(), buffer, sizeof buffer)) > 0) {
                reply.append(buffer, static_cast<std::size_t>(n));
            }
            probe.pong = reply.rfind("PONG", 0) == 0;
        }
        SSL_shutdown(ssl.get());
    }
    ERR_clear_error();
    return probe;
}

X509Ptr load_cert(const fs::path& path) {
    FILE* file = std::fopen(path.c_str(), "r");
    REQUIRE(file != nullptr);
    X509Ptr cert(PEM_read_X509(file, nullptr, nullptr, nullptr));
    std::fclose(file);
    REQUIRE(cert);
    return cert;
}

// Chain verification of leaf against a single trusted root, as a TLS client would do it.
int verify_chain(const fs::path& leaf_path, const fs::path& root_path) {
    X509Ptr leaf = load_cert(leaf_path);
    X509Ptr root = load_cert(root_path);
    X509StorePtr store(X509_STORE_new());
    REQUIRE(X509_STORE_add_cert(store.get(), root.get()) == 1);
    X509StoreCtxPtr ctx(X509_STORE_CTX_new());
    REQUIRE(X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), nullptr) == 1);
    X509_verify_cert(ctx.get());
    return X509_STORE_CTX_get_error(ctx.get());
}

// Seconds from now until the certificate expires (negative once expired).
long seconds_left(const X509* cert) {
    int days = 0;
    int seconds = 0;
    REQUIRE(ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(cert)) == 1);
    return days * 86400L + seconds;
}

constexpr long five_days = 5 * 86400L;

bool process_gone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

// Sends one request over raw NATS protocol and returns the reply payload line.
std::string nats_request(int port, const std::string& subject, const std::string& payload) {
    Conn conn(connect_loopback(port));
    REQUIRE(conn.fd() >= 0);
    REQUIRE(read_until(conn.fd(), "\r\n", 5s).rfind("INFO ", 0) == 0);
    send_all(conn.fd(), "CONNECT {\"verbose\":false}\r\nSUB _INBOX.fixture 1\r\nPUB " + subject +
                            " _INBOX.fixture " + std::to_string(payload.size()) + "\r\n" +
                            payload + "\r\n");
    const std::string reply = read_until(conn.fd(), "}\r\n", 5s);
    REQUIRE(reply.find("MSG _INBOX.fixture 1") != std::string::npos);
    return reply;
}

} // namespace

TEST_CASE("TempDir creates a unique directory and removes it", "[fixture]") {
    fs::path kept;
    {
        TempDir first;
        TempDir second;
        REQUIRE(fs::is_directory(first.path()));
        REQUIRE(first.path() != second.path());
        REQUIRE(first.path().filename().string().rfind("natty-test-", 0) == 0);
        fs::create_directories(first.path() / "a" / "b");
        fs::permissions(first.path() / "a", fs::perms::owner_read | fs::perms::owner_exec);

        TempDir moved(std::move(first));
        REQUIRE(first.path().empty());
        kept = moved.path();
        REQUIRE(fs::is_directory(kept / "a" / "b"));
    }
    REQUIRE_FALSE(fs::exists(kept));
}

TEST_CASE("Pki writes a CA, leaves with the right properties and private keys", "[fixture]") {
    TempDir tmp;
    const Pki pki = Pki::create(tmp.path() / "pki");

    for (const fs::path& key : {pki.ca_key, pki.server_key, pki.other_ca_key, pki.wrong_host_key,
                                pki.expired_key, pki.short_key, pki.client_key}) {
        struct stat info {};
        REQUIRE(::stat(key.c_str(), &info) == 0);
        CHECK((info.st_mode & 0777) == 0600);
    }

    CHECK(verify_chain(pki.server_cert, pki.ca_cert) == X509_V_OK);
    CHECK(verify_chain(pki.client_cert, pki.ca_cert) == X509_V_OK);
    CHECK(verify_chain(pki.short_cert, pki.ca_cert) == X509_V_OK);
    CHECK(verify_chain(pki.wrong_host_cert, pki.ca_cert) == X509_V_OK);
    CHECK(verify_chain(pki.server_cert, pki.other_ca_cert) != X509_V_OK);
    CHECK(verify_chain(pki.expired_cert, pki.ca_cert) == X509_V_ERR_CERT_HAS_EXPIRED);

    const X509Ptr server = load_cert(pki.server_cert);
    CHECK(X509_check_host(server.get(), "localhost", 0, 0, nullptr) == 1);
    CHECK(X509_check_ip_asc(server.get(), "127.0.0.1", 0) == 1);
    CHECK(X509_check_ip_asc(server.get(), "::1", 0) == 1);
    CHECK(X509_check_purpose(server.get(), X509_PURPOSE_SSL_SERVER, 0) == 1);
    CHECK(seconds_left(server.get()) > 29 * 86400L);

    const X509Ptr ca = load_cert(pki.ca_cert);
    CHECK(X509_check_ca(ca.get()) == 1);
    const X509Ptr wrong = load_cert(pki.wrong_host_cert);
    CHECK(X509_check_host(wrong.get(), "localhost", 0, 0, nullptr) == 0);
    CHECK(X509_check_ip_asc(wrong.get(), "127.0.0.1", 0) == 0);
    const X509Ptr short_lived = load_cert(pki.short_cert);
    CHECK(seconds_left(short_lived.get()) > five_days - 600);
    CHECK(seconds_left(short_lived.get()) <= five_days);
    const X509Ptr client = load_cert(pki.client_cert);
    CHECK(X509_check_purpose(client.get(), X509_PURPOSE_SSL_CLIENT, 0) == 1);
}

TEST_CASE("A plain server accepts connections and stops without leftovers", "[fixture]") {
    TempDir tmp;
    auto server = NatsServer::start({}, tmp.path());
    REQUIRE(server->port() > 0);
    CHECK(server->url() == "nats://127.0.0.1:" + std::to_string(server->port()));
    CHECK(server->url_for_host("localhost") ==
          "nats://localhost:" + std::to_string(server->port()));
    CHECK(fs::exists(tmp.path() / "server.conf"));
    CHECK(server->log().find("Server is ready") != std::string::npos);

    {
        Conn conn(connect_loopback(server->port()));
        REQUIRE(conn.fd() >= 0);
        CHECK(read_until(conn.fd(), "\r\n", 5s).rfind("INFO ", 0) == 0);
    }
    CHECK(connect_and_ping(server->port()).rfind("PONG", 0) == 0);

    const pid_t pid = server->pid();
    server.reset();
    CHECK(process_gone(pid));
}

TEST_CASE("User, token and max_payload settings reach the server", "[fixture]") {
    TempDir tmp;

    SECTION("users") {
        ServerOptions opts;
        opts.users.push_back({"alice", "secret", {"orders.>"}, {"_INBOX.>"}});
        opts.users.push_back({"bob", "hunter2", {}, {}});
        auto server = NatsServer::start(opts, tmp.path());
        const std::string conf = server->config();
        CHECK(conf.find("user: \"alice\"") != std::string::npos);
        CHECK(conf.find("password: \"secret\"") != std::string::npos);
        CHECK(conf.find("publish: {allow: [\"orders.>\"]}") != std::string::npos);
        CHECK(conf.find("user: \"bob\"") != std::string::npos);

        CHECK(connect_and_ping(server->port(), R"("user":"alice","pass":"secret")")
                  .rfind("PONG", 0) == 0);
        CHECK(connect_and_ping(server->port(), R"("user":"alice","pass":"wrong")")
                  .find("Authorization Violation") != std::string::npos);
        CHECK(connect_and_ping(server->port(), R"("user":"bob","pass":"hunter2")")
                  .rfind("PONG", 0) == 0);
    }

    SECTION("token and max_payload") {
        ServerOptions opts;
        opts.token = "s3cr3t";
        opts.max_payload = 2048;
        auto server = NatsServer::start(opts, tmp.path());
        CHECK(server->config().find("token: \"s3cr3t\"") != std::string::npos);
        CHECK(connect_and_ping(server->port(), R"("auth_token":"s3cr3t")").rfind("PONG", 0) ==
              0);
        CHECK(connect_and_ping(server->port(), R"("auth_token":"nope")")
                  .find("Authorization Violation") != std::string::npos);
        CHECK(server->monitor("/varz").body.find("\"max_payload\": 2048") != std::string::npos);
    }

    SECTION("token with users is refused up front") {
        ServerOptions opts;
        opts.token = "t";
        opts.users.push_back({"u", "p", {}, {}});
        CHECK_THROWS_AS(NatsServer::start(opts, tmp.path()), std::invalid_argument);
    }
}

TEST_CASE("TLS servers present certificates a client can (or cannot) verify", "[fixture]") {
    TempDir tmp;
    const Pki pki = Pki::create(tmp.path() / "pki");

    SECTION("valid certificate") {
        ServerOptions opts;
        opts.tls = TlsConfig{pki.server_cert, pki.server_key, std::nullopt};
        auto server = NatsServer::start(opts, tmp.path() / "server");
        TlsProbe ok = tls_probe(server->port(), pki.ca_cert, "localhost");
        CHECK(ok.info.find("\"tls_required\":true") != std::string::npos);
        CHECK(ok.handshake_ok);
        CHECK(ok.verify_result == X509_V_OK);
        CHECK(ok.pong);
        CHECK(tls_probe(server->port(), pki.ca_cert, "127.0.0.1").verify_result == X509_V_OK);

        TlsProbe wrong_ca = tls_probe(server->port(), pki.other_ca_cert, "localhost");
        CHECK_FALSE(wrong_ca.handshake_ok);
        CHECK(wrong_ca.verify_result != X509_V_OK);
    }

    SECTION("expired certificate") {
        ServerOptions opts;
        opts.tls = TlsConfig{pki.expired_cert, pki.expired_key, std::nullopt};
        auto server = NatsServer::start(opts, tmp.path() / "server");
        TlsProbe probe = tls_probe(server->port(), pki.ca_cert, "localhost");
        CHECK_FALSE(probe.handshake_ok);
        CHECK(probe.verify_result == X509_V_ERR_CERT_HAS_EXPIRED);
    }

    SECTION("certificate for another host") {
        ServerOptions opts;
        opts.tls = TlsConfig{pki.wrong_host_cert, pki.wrong_host_key, std::nullopt};
        auto server = NatsServer::start(opts, tmp.path() / "server");
        CHECK(tls_probe(server->port(), pki.ca_cert, "localhost").verify_result ==
              X509_V_ERR_HOSTNAME_MISMATCH);
        CHECK(tls_probe(server->port(), pki.ca_cert, "127.0.0.1").verify_result ==
              X509_V_ERR_IP_ADDRESS_MISMATCH);
    }

    SECTION("certificate about to expire") {
        ServerOptions opts;
        opts.tls = TlsConfig{pki.short_cert, pki.short_key, std::nullopt};
        auto server = NatsServer::start(opts, tmp.path() / "server");
        TlsProbe probe = tls_probe(server->port(), pki.ca_cert, "localhost");
        CHECK(probe.handshake_ok);
        REQUIRE(probe.peer);
        CHECK(seconds_left(probe.peer.get()) > five_days - 600);
        CHECK(seconds_left(probe.peer.get()) <= five_days);
    }

    SECTION("mutual TLS") {
        ServerOptions opts;
        opts.tls = TlsConfig{pki.server_cert, pki.server_key, pki.ca_cert};
        auto server = NatsServer::start(opts, tmp.path() / "server");
        TlsProbe with_cert = tls_probe(server->port(), pki.ca_cert, "localhost",
                                       ClientCert{pki.client_cert, pki.client_key});
        CHECK(with_cert.handshake_ok);
        CHECK(with_cert.pong);
        TlsProbe without_cert = tls_probe(server->port(), pki.ca_cert, "localhost");
        CHECK_FALSE(without_cert.pong);
    }
}

TEST_CASE("A JetStream server is healthy and keeps its store across restarts", "[fixture]") {
    TempDir tmp;
    ServerOptions opts;
    opts.jetstream = true;
    opts.js_max_memory = 64 * 1024 * 1024;
    opts.js_max_file = 256 * 1024 * 1024;
    auto server = NatsServer::start(opts, tmp.path());

    CHECK(server->monitor("/healthz").status == 200);
    const HttpResponse jsz = server->monitor("/jsz");
    REQUIRE(jsz.status == 200);
    CHECK(jsz.body.find("\"max_memory\": 67108864") != std::string::npos);
    CHECK(jsz.body.find("\"max_storage\": 268435456") != std::string::npos);

    const std::string created =
        nats_request(server->port(), "$JS.API.STREAM.CREATE.FIXTURE",
                     R"({"name":"FIXTURE","subjects":["fixture.>"],"storage":"file"})");
    CHECK(created.find("\"error\"") == std::string::npos);
    CHECK(fs::exists(tmp.path() / "js" / "jetstream"));

    const int port = server->port();
    server->kill9();
    CHECK_FALSE(server->running());
    server->restart();
    CHECK(server->port() == port);
    CHECK(server->monitor("/healthz").status == 200);
    CHECK(nats_request(port, "$JS.API.STREAM.INFO.FIXTURE", "").find("\"FIXTURE\"") !=
          std::string::npos);
}

TEST_CASE("restart keeps the port and pause or resume freeze the server", "[fixture]") {
    TempDir tmp;
    auto server = NatsServer::start({}, tmp.path());
    const int port = server->port();
    const pid_t first_pid = server->pid();

    server->restart();
    CHECK(server->port() == port);
    CHECK(server->pid() != first_pid);
    CHECK(process_gone(first_pid));
    CHECK(connect_and_ping(port).rfind("PONG", 0) == 0);

    server->stop();
    server->stop();
    CHECK_FALSE(server->running());
    CHECK(connect_loopback(port, 200ms) < 0);
    server->restart();
    CHECK(connect_and_ping(port).rfind("PONG", 0) == 0);

    server->pause();
    {
        Conn conn(connect_loopback(port));
        REQUIRE(conn.fd() >= 0);
        CHECK(read_until(conn.fd(), "\r\n", 300ms).empty());
        server->resume();
        CHECK(read_until(conn.fd(), "\r\n", 5s).rfind("INFO ", 0) == 0);
    }

    server->pause();
    const auto before = Clock::now();
    server->stop();
    CHECK(Clock::now() - before < 5s);
    CHECK_FALSE(server->running());
}

TEST_CASE("A three-node JetStream cluster elects a meta leader", "[fixture]") {
    TempDir tmp;
    auto cluster = NatsCluster::start({}, tmp.path());
    REQUIRE(cluster->size() == 3);

    std::set<int> ports;
    for (std::size_t i = 0; i < cluster->size(); ++i) {
        NatsServer& node = cluster->node(i);
        CHECK(node.running());
        CHECK(node.name() == "n" + std::to_string(i + 1));
        CHECK(node.monitor("/healthz").status == 200);
        CHECK(node.log().find("Server is ready") != std::string::npos);
        ports.insert(node.port());
    }
    CHECK(ports.size() == 3);
    const std::string urls = cluster->urls();
    CHECK(std::count(urls.begin(), urls.end(), ',') == 2);
    CHECK(urls.find(cluster->node(2).url()) != std::string::npos);
    const std::string leader = cluster->meta_leader();
    CHECK((leader == "n1" || leader == "n2" || leader == "n3"));
    CHECK(cluster->node(0).monitor("/routez").body.find("\"num_routes\": 2") !=
          std::string::npos);

    cluster->node(2).kill9();
    cluster->node(2).restart();
    cluster->wait_for_meta_leader();
    CHECK(cluster->node(2).monitor("/healthz").status == 200);
}

TEST_CASE("run captures exit code, stdout and stderr", "[fixture]") {
    const RunResult result = run({"/bin/sh", "-c", "echo hi; echo err >&2; exit 3"});
    CHECK(result.exit_code == 3);
    CHECK(result.out == "hi\n");
    CHECK(result.err == "err\n");
    CHECK_FALSE(result.timed_out);

    CHECK(run({"sh", "-c", "kill -TERM $$"}).exit_code == -SIGTERM);
    CHECK_THROWS_AS(run({"/nonexistent/natty-nope"}), std::runtime_error);
    CHECK_THROWS_AS(run({"natty-no-such-program-anywhere"}), std::runtime_error);
}

TEST_CASE("run uses a clean environment, the cwd and stdin", "[fixture]") {
    ::setenv("NATTY_FIXTURE_LEAK", "1", 1);
    RunOptions opts;
    opts.env["FOO"] = "bar";
    opts.env["LANG"] = "C";
    const RunResult env = run({"env"}, opts);
    ::unsetenv("NATTY_FIXTURE_LEAK");
    CHECK(env.out.find("FOO=bar\n") != std::string::npos);
    CHECK(env.out.find("LANG=C\n") != std::string::npos);
    CHECK(env.out.find("PATH=") != std::string::npos);
    CHECK(env.out.find("HOME=") != std::string::npos);
    CHECK(env.out.find("NATTY_FIXTURE_LEAK") == std::string::npos);
    CHECK(run({"env"}).out.find("LANG=C.UTF-8\n") != std::string::npos);

    TempDir tmp;
    RunOptions in_dir;
    in_dir.cwd = tmp.path();
    CHECK(run({"pwd"}, in_dir).out == tmp.path().string() + "\n");

    RunOptions with_input;
    // Built in two steps: `std::string(n, 'x') + "end"` trips a GCC 12 -Warray-bounds false positive.
    with_input.stdin_data.assign(10 * 1024 * 1024, 'x');
    with_input.stdin_data += "end";
    const RunResult echoed = run({"cat"}, with_input);
    CHECK(echoed.exit_code == 0);
    CHECK(echoed.out.size() == with_input.stdin_data.size());
    CHECK(echoed.out == with_input.stdin_data);

    // The test process ignores SIGPIPE; children must still get the default disposition.
    const RunResult piped = run({"sh", "-c", "kill -PIPE $$; echo survived"});
    CHECK(piped.exit_code == -SIGPIPE);
    CHECK(piped.out.empty());
}

TEST_CASE("run captures 20 MB of output on both streams without deadlock", "[fixture]") {
    constexpr std::size_t size = 20 * 1024 * 1024;
    const RunResult big = run({"sh", "-c", "yes 0123456789abcdef | head -c " +
                                               std::to_string(size)});
    CHECK(big.exit_code == 0);
    REQUIRE(big.out.size() == size);
    const std::string line = "0123456789abcdef\n";
    bool intact = true;
    for (std::size_t i = 0; i < size && intact; ++i) {
        intact = big.out[i] == line[i % line.size()];
    }
    CHECK(intact);

    const RunResult both = run({"sh", "-c", "yes out | head -c " + std::to_string(size) +
                                                " & yes err | head -c " + std::to_string(size) +
                                                " >&2; wait"});
    CHECK(both.exit_code == 0);
    CHECK(both.out.size() == size);
    CHECK(both.err.size() == size);
}

TEST_CASE("run kills the process group on timeout", "[fixture]") {
    RunOptions opts;
    opts.timeout = 500ms;
    const auto before = Clock::now();
    const RunResult slept = run({"sleep", "60"}, opts);
    CHECK(slept.timed_out);
    CHECK(slept.exit_code == -SIGKILL);
    CHECK(Clock::now() - before < 5s);

    const auto again = Clock::now();
    const RunResult grandchild = run({"sh", "-c", "sleep 60 & echo started; wait"}, opts);
    CHECK(grandchild.timed_out);
    CHECK(grandchild.out == "started\n");
    CHECK(Clock::now() - again < 5s);
}

TEST_CASE("Child streams output incrementally and takes input and signals", "[fixture]") {
    RunOptions opts;
    opts.close_stdin = false;
    auto child = Child::spawn(
        {"sh", "-c", "echo ready; echo warming >&2; read line; echo \"got $line\"; sleep 60"},
        opts);
    REQUIRE(child->pid() > 0);
    CHECK(child->wait_for_output("ready\n", 5s));
    CHECK(child->wait_for_output("warming", 5s, true));
    CHECK_FALSE(child->wait_for_output("got", 200ms));
    child->write_stdin("hello\n");
    CHECK(child->wait_for_output("got hello\n", 5s));
    CHECK(child->out() == "ready\ngot hello\n");
    CHECK(child->err() == "warming\n");

    child->signal(SIGTERM);
    const RunResult result = child->wait(5s);
    CHECK_FALSE(result.timed_out);
    CHECK(result.exit_code == -SIGTERM);
    CHECK(result.out == "ready\ngot hello\n");

    const auto before = Clock::now();
    pid_t orphan = 0;
    {
        auto sleeper = Child::spawn({"sleep", "60"}, {});
        orphan = sleeper->pid();
        CHECK_FALSE(sleeper->exited());
    }
    CHECK(process_gone(orphan));
    CHECK(Clock::now() - before < 5s);

    auto closer = Child::spawn({"sh", "-c", "cat; echo done"}, opts);
    closer->write_stdin("abc");
    closer->close_stdin();
    const RunResult closed = closer->wait(5s);
    CHECK(closed.out == "abcdone\n");
    CHECK(closed.exit_code == 0);
}

TEST_CASE("Children die with the test process even without destructors", "[fixture]") {
    // Orphans are re-parented to us instead of init, so the test can reap and inspect them.
    REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t test_process = ::fork();
    REQUIRE(test_process >= 0);
    if (test_process == 0) {
        // Stands in for a test binary that crashes: starts a child, then exits abruptly.
        ::close(fds[0]);
        pid_t grandchild = -1;
        try {
            grandchild = detail::fork_exec({{"sleep", "60"}, detail::child_env({}), std::nullopt},
                                           -1, -1, -1);
        } catch (...) {
            ::_exit(1);
        }
        static_cast<void>(::write(fds[1], &grandchild, sizeof grandchild));
        ::_exit(0);
    }
    ::close(fds[1]);
    pid_t orphan = -1;
    const ssize_t n = ::read(fds[0], &orphan, sizeof orphan);
    ::close(fds[0]);
    int status = 0;
    REQUIRE(::waitpid(test_process, &status, 0) == test_process);
    REQUIRE(n == static_cast<ssize_t>(sizeof orphan));
    REQUIRE(orphan > 0);

    const auto deadline = Clock::now() + 5s;
    pid_t reaped = 0;
    while ((reaped = ::waitpid(orphan, &status, WNOHANG)) == 0 && Clock::now() < deadline) {
        std::this_thread::sleep_for(10ms);
    }
    if (reaped == 0) {
        ::kill(orphan, SIGKILL);
        ::waitpid(orphan, &status, 0);
    }
    ::prctl(PR_SET_CHILD_SUBREAPER, 0);
    REQUIRE(reaped == orphan);
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGKILL);
}

TEST_CASE("Start failures are fast and carry the server output", "[fixture]") {
    TempDir tmp;

    SECTION("invalid config") {
        ServerOptions opts;
        opts.extra_config = "this is { not valid";
        const auto before = Clock::now();
        try {
            NatsServer::start(opts, tmp.path());
            FAIL("start should have thrown");
        } catch (const std::runtime_error& error) {
            const std::string message = error.what();
            CHECK(message.find("exited with status") != std::string::npos);
            CHECK(message.find("Parse error") != std::string::npos);
        }
        CHECK(Clock::now() - before < 5s);
    }

    SECTION("port taken on restart") {
        auto server = NatsServer::start({}, tmp.path());
        server->kill9();
        Conn blocker(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<std::uint16_t>(server->port()));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(blocker.fd(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        REQUIRE(::listen(blocker.fd(), 1) == 0);
        CHECK_THROWS_WITH(server->restart(), Catch::Contains("address already in use"));
        CHECK_FALSE(server->running());
    }
}
