// Every connection failure natty diagnoses, provoked for real: message and exit code asserted.
#include "nats_server.hpp"
#include "pki.hpp"
#include "sandbox.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <natty/nats/nkey.hpp>

#include <cerrno>
#include <chrono>
#include <fcntl.h>
#include <fstream>
#include <map>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using namespace natty::test;
namespace fs = std::filesystem;

namespace {

// Exit codes documented in natty --help.
constexpr int k_usage = 2;
constexpr int k_config = 3;
constexpr int k_connect = 4;
constexpr int k_denied = 5;
constexpr int k_tls = 6;

// Connections natty made to the server, open or closed. The fixture's own readiness probe is a
// bare TCP connect, so counting only connections named "natty" keeps it out.
long natty_connections(const NatsServer& server) {
    const auto connz = nlohmann::json::parse(server.monitor("/connz?state=all").body);
    long count = 0;
    for (const auto& conn : connz.value("connections", nlohmann::json::array())) {
        count += conn.value("name", "") == "natty" ? 1 : 0;
    }
    return count;
}

// Runs `natty ... context info --connect`, the cheapest command that connects.
RunResult connect_with(const Sandbox& sandbox, std::vector<std::string> args,
                       std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), "--no-context");
    args.insert(args.end(), {"context", "info", "--connect"});
    return sandbox.natty(args,
                         RunOptions{.env = std::move(env), .timeout = std::chrono::seconds(20)});
}

struct TlsServer {
    TempDir dir;
    Pki pki = Pki::create(dir.path() / "pki");
    std::unique_ptr<NatsServer> server;

    explicit TlsServer(bool expired = false, bool wrong_host = false) {
        TlsConfig tls{pki.server_cert, pki.server_key, std::nullopt};
        if (expired) {
            tls = {pki.expired_cert, pki.expired_key, std::nullopt};
        } else if (wrong_host) {
            tls = {pki.wrong_host_cert, pki.wrong_host_key, std::nullopt};
        }
        server = NatsServer::start(
            ServerOptions{.users = {{"matchmaker", "matchmaker", {}, {}}}, .tls = tls},
            dir.path() / "server");
    }
    std::string url() const { return server->url_for_host("localhost"); }

    // Arguments for connecting as the configured user, verifying with `ca`.
    std::vector<std::string> login(const std::filesystem::path& ca) const {
        return {"-s", url(), "--tlsca", ca.string(), "--user", "matchmaker", "--password",
                "matchmaker"};
    }
};

// A user NKey seed, the same every run.
std::string test_seed() {
    std::string raw(32, '\0');
    for (std::size_t i = 0; i < raw.size(); ++i) {
        raw[i] = static_cast<char>(i * 7 + 3);
    }
    return natty::nats::nkey_encode_user_seed(raw);
}

// Writes `data` to a FIFO once `reader` has opened it, `hold` after the open; fails the test
// instead of blocking if the reader never comes.
void write_to_fifo(const fs::path& fifo, const std::string& data, Child& reader,
                   std::chrono::milliseconds hold) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    int fd = -1;
    while ((fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
        REQUIRE(errno == ENXIO); // no reader yet
        REQUIRE_FALSE(reader.exited());
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::this_thread::sleep_for(hold);
    const auto written = ::write(fd, data.data(), data.size());
    ::close(fd);
    REQUIRE(written == static_cast<ssize_t>(data.size()));
}

} // namespace

TEST_CASE("a server that is down is a connect error naming the URL and the reason", "[errors]") {
    Sandbox sandbox;
    // Start and stop a server to get a port that nothing listens on.
    TempDir dir;
    auto server = NatsServer::start({}, dir.path());
    const std::string url = server->url();
    server->stop();
    const auto result = connect_with(sandbox, {"-s", url});
    CHECK(result.exit_code == k_connect);
    CHECK(contains(result.err, "natty: error: cannot connect to " + url + ": connection refused"));
    CHECK(contains(result.err, "hint: "));
}

TEST_CASE("a frozen server times out within --timeout", "[errors]") {
    Sandbox sandbox;
    TempDir dir;
    auto server = NatsServer::start({}, dir.path());
    server->pause();
    const auto start = std::chrono::steady_clock::now();
    const auto result = connect_with(sandbox, {"-s", server->url(), "--timeout", "3s"});
    const auto elapsed = std::chrono::steady_clock::now() - start;
    server->resume();
    CHECK(result.exit_code == k_connect);
    CHECK(contains(result.err, "timed out after 3s in the NATS handshake phase"));
    // The requirement itself is a bound: --timeout covers the whole failed connect, diagnosis
    // included (a second full wait would take 6 s).
    CHECK(elapsed < std::chrono::milliseconds(5500));
}

TEST_CASE("a missing credentials or CA file is a config error before any connect", "[errors]") {
    TempDir dir;
    auto server = NatsServer::start({}, dir.path());
    Sandbox sandbox;
    const long before = natty_connections(*server);
    const auto creds =
        connect_with(sandbox, {"-s", server->url(), "--creds", "/nonexistent/u.creds"});
    CHECK(creds.exit_code == k_config);
    CHECK(contains(creds.err, "cannot read Credentials file /nonexistent/u.creds (flag --creds): "
                              "No such file or directory"));
    const auto ca =
        connect_with(sandbox, {"-s", server->url()}, {{"NATS_CA", "/nonexistent/ca.pem"}});
    CHECK(ca.exit_code == k_config);
    CHECK(contains(ca.err, "cannot read CA file /nonexistent/ca.pem (env NATS_CA)"));
    CHECK_FALSE(contains(ca.err, "(null)"));
    CHECK(natty_connections(*server) == before);
}

TEST_CASE("wrong credentials are an authorization error that never shows the password",
          "[errors]") {
    TlsServer tls;
    Sandbox sandbox;
    const auto result = connect_with(sandbox, {"-s", tls.url(), "--tlsca", tls.pki.ca_cert.string(),
                                               "--user", "matchmaker", "--password", "wr0ng-pw"});
    CHECK(result.exit_code == k_denied);
    CHECK(contains(result.err, "authorization violation"));
    CHECK(contains(result.err, "user \"matchmaker\""));
    CHECK_FALSE(contains(result.err + result.out, "wr0ng-pw"));
}

TEST_CASE("an authorization error names the credentials that were sent, wherever they came from",
          "[errors]") {
    TlsServer tls;
    Sandbox sandbox;
    const std::string ca = tls.pki.ca_cert.string();
    const std::string port = std::to_string(tls.server->port());
    const auto in_url =
        connect_with(sandbox, {"-s", "nats://matchmaker:wr0ng-pw@localhost:" + port, "--tlsca", ca});
    CHECK(in_url.exit_code == k_denied);
    CHECK(contains(in_url.err, "rejected user \"matchmaker\" (from the URL)"));
    CHECK_FALSE(contains(in_url.err + in_url.out, "wr0ng-pw"));
    const auto none = connect_with(sandbox, {"-s", tls.url(), "--tlsca", ca});
    CHECK(none.exit_code == k_denied);
    CHECK(contains(none.err, "rejected no credentials"));
}

TEST_CASE("credentials in a URL are redacted everywhere", "[errors]") {
    TlsServer tls;
    Sandbox sandbox;
    const std::string url = "nats://matchmaker:matchmaker@localhost:" +
                            std::to_string(tls.server->port());
    const auto ok = connect_with(sandbox, {"-s", url, "--tlsca", tls.pki.ca_cert.string()});
    INFO(ok.err);
    CHECK(ok.exit_code == 0);
    CHECK(contains(ok.out, "matchmaker:***@localhost"));
    CHECK_FALSE(contains(ok.out + ok.err, "matchmaker:matchmaker"));
    const std::string bad = "nats://matchmaker:s3cr3t-url@localhost:1";
    const auto failed = connect_with(sandbox, {"-s", bad});
    CHECK(failed.exit_code == k_connect);
    CHECK_FALSE(contains(failed.out + failed.err, "s3cr3t-url"));
}

TEST_CASE("TLS verification failures name the reason, the certificate and the CA", "[errors][tls]") {
    SECTION("wrong CA") {
        TlsServer tls;
        Sandbox sandbox;
        const auto result = connect_with(sandbox, tls.login(tls.pki.other_ca_cert));
        INFO(result.err);
        CHECK(result.exit_code == k_tls);
        CHECK(contains(result.err, "TLS certificate verification failed"));
        CHECK(contains(result.err, "subject \"CN=localhost"));
        CHECK(contains(result.err, "natty test CA"));
        CHECK(contains(result.err, tls.pki.other_ca_cert.string()));
    }
    SECTION("TLS required by the server but no CA given") {
        TlsServer tls;
        Sandbox sandbox;
        const auto result = connect_with(sandbox, {"-s", tls.url(), "--user", "matchmaker",
                                                   "--password", "matchmaker"});
        INFO(result.err);
        CHECK(result.exit_code == k_tls);
        CHECK(contains(result.err, "no CA configured"));
        CHECK(contains(result.err, "hint: pass the CA"));
    }
    SECTION("certificate for another host name") {
        TlsServer tls(false, true);
        Sandbox sandbox;
        const auto result = connect_with(sandbox, tls.login(tls.pki.ca_cert));
        INFO(result.err);
        CHECK(result.exit_code == k_tls);
        CHECK(contains(result.err, "mismatch"));
    }
    SECTION("expired certificate") {
        TlsServer tls(true);
        Sandbox sandbox;
        const auto result = connect_with(sandbox, tls.login(tls.pki.ca_cert));
        INFO(result.err);
        CHECK(result.exit_code == k_tls);
        CHECK(contains(result.err, "expired"));
    }
}

TEST_CASE("a server that requires a client certificate says so, and accepts one", "[errors][tls]") {
    TempDir dir;
    Pki pki = Pki::create(dir.path() / "pki");
    auto server = NatsServer::start(
        {.tls = TlsConfig{pki.server_cert, pki.server_key, pki.ca_cert}}, dir.path() / "s");
    const std::string url = server->url_for_host("localhost");
    Sandbox sandbox;
    const auto without = connect_with(sandbox, {"-s", url, "--tlsca", pki.ca_cert.string()});
    INFO(without.err);
    CHECK(without.exit_code == k_tls);
    CHECK(contains(without.err, "the server requires a client certificate"));
    CHECK(contains(without.err, "hint: pass one with --tlscert FILE --tlskey FILE"));
    CHECK_FALSE(contains(without.err, "PONG"));
    const auto with = connect_with(sandbox, {"-s", url, "--tlsca", pki.ca_cert.string(),
                                             "--tlscert", pki.client_cert.string(), "--tlskey",
                                             pki.client_key.string()});
    INFO(with.err);
    CHECK(with.exit_code == 0);
}

TEST_CASE("a CA or tls:// URL makes TLS mandatory against a plaintext server", "[errors][tls]") {
    TempDir dir;
    Pki pki = Pki::create(dir.path() / "pki");
    auto server = NatsServer::start({.users = {{"u", "plaintext-pw", {}, {}}}}, dir.path() / "s");
    Sandbox sandbox;
    const auto with_ca = connect_with(sandbox, {"-s", server->url(), "--tlsca",
                                                pki.ca_cert.string(), "--user", "u", "--password",
                                                "plaintext-pw"});
    CHECK(with_ca.exit_code == k_tls);
    CHECK(contains(with_ca.err, "does not offer TLS; nothing was sent"));
    const std::string tls_url = "tls://127.0.0.1:" + std::to_string(server->port());
    const auto with_scheme = connect_with(sandbox, {"-s", tls_url, "--user", "u", "--password",
                                                    "plaintext-pw"});
    CHECK(with_scheme.exit_code == k_tls);
    // The server never saw an authenticated client: no CONNECT with the password went out.
    const auto connz = nlohmann::json::parse(server->monitor("/connz?state=closed&auth=true").body);
    for (const auto& conn : connz.value("connections", nlohmann::json::array())) {
        CHECK(conn.value("authorized_user", "") != "u");
    }
}

TEST_CASE("an unknown context is an error that lists the known ones and connects nowhere",
          "[errors][context]") {
    TempDir dir;
    auto server = NatsServer::start({}, dir.path());
    Sandbox sandbox;
    REQUIRE(sandbox.natty({"context", "save", "prod", "--server", server->url(), "--select"})
                .exit_code == 0);
    const long before = natty_connections(*server);
    const auto flag = sandbox.natty({"--context", "nope", "context", "info", "--connect"});
    CHECK(flag.exit_code == k_config);
    CHECK(contains(flag.err, "unknown context \"nope\""));
    CHECK(contains(flag.err, "known contexts: prod"));
    const auto env = sandbox.natty({"context", "info", "--connect"},
                                   RunOptions{.env = {{"NATS_CONTEXT", "nope"}}});
    CHECK(env.exit_code == k_config);
    CHECK(contains(env.err, "NATS_CONTEXT"));
    CHECK(natty_connections(*server) == before);
    // Nothing was unselected.
    CHECK(contains(sandbox.natty({"context", "ls"}).out, "prod *"));

    fs::remove(sandbox.context_file("prod"));
    const auto dangling = sandbox.natty({"context", "info", "--connect"});
    CHECK(dangling.exit_code == k_config);
    CHECK(contains(dangling.err, "selected context \"prod\" does not exist"));
    CHECK(natty_connections(*server) == before);
}

TEST_CASE("a corrupt context names file, line and column without echoing the secret",
          "[errors][context]") {
    Sandbox sandbox;
    REQUIRE(sandbox.natty({"context", "save", "prod", "--server", "nats://a:1"}).exit_code == 0);
    std::ofstream(sandbox.context_file("prod")) << "url = \"nats://a:1\"\npassword = \"hunter2\n";
    const auto result = sandbox.natty({"--context", "prod", "context", "info"});
    CHECK(result.exit_code == k_config);
    CHECK(contains(result.err, sandbox.context_file("prod").string() + ":2:"));
    CHECK_FALSE(contains(result.err, "hunter2"));
    // Other commands still work: the context can be listed and removed.
    CHECK(sandbox.natty({"context", "ls"}).exit_code == 0);
    CHECK(sandbox.natty({"context", "rm", "prod"}).exit_code == 0);
}

TEST_CASE("usage errors exit 2 and never open a connection", "[errors]") {
    TempDir dir;
    auto server = NatsServer::start({}, dir.path());
    Sandbox sandbox;
    const long before = natty_connections(*server);
    const auto bad_timeout =
        sandbox.natty({"-s", server->url(), "--timeout", "soon", "context", "info", "--connect"});
    CHECK(bad_timeout.exit_code == k_usage);
    CHECK(contains(bad_timeout.err, "--timeout: invalid duration \"soon\""));
    const auto bad_url = sandbox.natty({"-s", "http://x", "context", "info", "--connect"});
    CHECK(bad_url.exit_code == k_usage);
    CHECK(contains(bad_url.err, "invalid server URL"));
    const auto unknown_flag = sandbox.natty({"--bogus", "context", "ls"});
    CHECK(unknown_flag.exit_code == k_usage);
    CHECK(contains(unknown_flag.err, "natty: error:"));
    const auto no_command = sandbox.natty({});
    CHECK(no_command.exit_code == k_usage);
    CHECK(natty_connections(*server) == before);
    // Control: a valid command does show up in the count.
    REQUIRE(connect_with(sandbox, {"-s", server->url()}).exit_code == 0);
    CHECK(natty_connections(*server) == before + 1);
}

TEST_CASE("an NKey seed file authenticates against a server that knows its public key",
          "[auth]") {
    TempDir dir;
    const std::string seed = test_seed();
    const std::string public_key = natty::nats::nkey_public_from_seed(seed);
    // Between the server's greeting and CONNECT, nats.c re-reads the seed file and signs the
    // nonce (its bundled TweetNaCl, ~10 ms of CPU): the one window in which a starved client
    // can miss the server's 2 s default authorization timeout (the next test shows what natty
    // then says). This test is about NKey auth, so it allows 10 s.
    auto server = NatsServer::start(
        {.extra_config =
             "authorization { timeout: 10, users: [ {nkey: " + public_key + "} ] }\n"},
        dir.path() / "s");
    const fs::path seed_file = dir.path() / "user.nk";
    std::ofstream(seed_file) << seed << "\n";
    Sandbox sandbox;
    const auto ok = connect_with(sandbox, {"-s", server->url(), "--nkey", seed_file.string()});
    INFO(ok.err);
    CHECK(ok.exit_code == 0);
    const auto without = connect_with(sandbox, {"-s", server->url()});
    INFO(without.err);
    CHECK(without.exit_code == k_denied);
}

TEST_CASE("a token given as --user without a password authenticates", "[auth]") {
    TempDir dir;
    auto server = NatsServer::start({.token = "t0ken-value"}, dir.path());
    Sandbox sandbox;
    CHECK(connect_with(sandbox, {"-s", server->url(), "--user", "t0ken-value"}).exit_code == 0);
    CHECK(connect_with(sandbox, {"-s", server->url(), "--token", "t0ken-value"}).exit_code == 0);
    const auto wrong = connect_with(sandbox, {"-s", server->url(), "--token", "nope"});
    CHECK(wrong.exit_code == k_denied);
    CHECK(contains(wrong.err, "token (flag --token)"));
}

TEST_CASE("a server that times out the authentication is a connect error that says so",
          "[auth]") {
    TempDir dir;
    const std::string seed = test_seed();
    auto server = NatsServer::start(
        {.extra_config = "authorization { timeout: 0.2, users: [ {nkey: " +
                         natty::nats::nkey_public_from_seed(seed) + "} ] }\n"},
        dir.path() / "s");
    // The seed comes through a FIFO, so the test decides when nats.c gets it.
    const fs::path fifo = dir.path() / "slow.nk";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    Sandbox sandbox;
    auto child = sandbox.spawn_natty(
        {"--no-context", "-s", server->url(), "--nkey", fifo.string(), "context", "info",
         "--connect"});
    // natty reads the seed once to derive the public key, closes it, then connects...
    write_to_fifo(fifo, seed + "\n", *child, std::chrono::milliseconds(0));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (nlohmann::json::parse(server->monitor("/connz").body).value("num_connections", 0) == 0) {
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    // ...and nats.c reads it again to sign the server's nonce, while the server's 0.2 s
    // authorization timer runs.
    write_to_fifo(fifo, seed + "\n", *child, std::chrono::milliseconds(1000));
    const auto result = child->wait(std::chrono::seconds(20));
    INFO(result.err);
    CHECK(result.exit_code == k_connect);
    CHECK(contains(result.err,
                   "stopped waiting for natty to authenticate (Authentication Timeout)"));
    CHECK(contains(result.err, "hint: "));
}
