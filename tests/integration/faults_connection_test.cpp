// Faults of the connection itself, provoked for real (reliability catalogue C03, C10-C12, C15,
// C17, C19, S04, S06): a frozen server, a server that is gone for good, a reload that revokes
// credentials or changes limits, certificates that must not verify, a CA file that is garbage.
#include "nats_server.hpp"
#include "pki.hpp"
#include "process.hpp"
#include "sandbox.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

using namespace natty::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// Exit codes documented in natty --help.
constexpr int k_usage = 2;
constexpr int k_denied = 5;
constexpr int k_tls = 6;

// How often the server has logged a finished configuration reload.
std::size_t reloads_logged(const NatsServer& server) {
    const std::string log = server.log();
    std::size_t count = 0;
    for (auto at = log.find("Reloaded server configuration"); at != std::string::npos;
         at = log.find("Reloaded server configuration", at + 1)) {
        ++count;
    }
    return count;
}

// Replaces `from` by `to` in the server's configuration file, sends SIGHUP (nats-server's reload
// signal) and waits until the server says it has reloaded.
void reload_with(NatsServer& server, const std::string& from, const std::string& to) {
    std::string config = server.config();
    const auto at = config.find(from);
    REQUIRE(at != std::string::npos);
    config.replace(at, from.size(), to);
    std::ofstream(server.config_path(), std::ios::trunc) << config;
    const std::size_t before = reloads_logged(server);
    REQUIRE(::kill(server.pid(), SIGHUP) == 0);
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (reloads_logged(server) == before) {
        INFO(server.log_tail());
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        std::this_thread::sleep_for(50ms);
    }
}

// Connections natty made to the server, open or closed (named "natty", unlike the fixture's
// readiness probe).
long natty_connections(const NatsServer& server) {
    const auto connz = nlohmann::json::parse(server.monitor("/connz?state=all").body);
    long count = 0;
    for (const auto& conn : connz.value("connections", nlohmann::json::array())) {
        count += conn.value("name", "") == "natty" ? 1 : 0;
    }
    return count;
}

// A TLS server presenting the given certificate, for the verification failures below.
std::unique_ptr<NatsServer>
tls_server(const fs::path& dir, const fs::path& cert, const fs::path& key) {
    return NatsServer::start({.tls = TlsConfig{cert, key, std::nullopt}}, dir);
}

// The commands that must all refuse a server whose certificate does not verify.
std::vector<std::vector<std::string>> tls_commands() {
    return {{"pub", "tls.x", "never sent"},
            {"sub", "tls.x", "--count", "1"},
            {"request", "tls.x", "y"},
            {"kv", "get", "B", "k"},
            {"server", "check", "connection"}};
}

} // namespace

TEST_CASE("sub carries on after its server was frozen with SIGSTOP and continued",
          "[faults][connection]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto sub =
        sandbox.spawn_subscribed(with_server(*server, {"sub", "frozen", "--raw", "--count", "2"}));
    REQUIRE(sandbox.natty(with_server(*server, {"pub", "frozen", "before"})).exit_code == 0);
    REQUIRE(sub->wait_for_output("before", 10s));
    server->pause();
    // Longer than the sub's own flush interval, far shorter than nats.c's 2-minute ping timer:
    // the connection stays up, so the sub must simply wait.
    std::this_thread::sleep_for(2s);
    CHECK_FALSE(sub->exited());
    server->resume();
    REQUIRE(sandbox.natty(with_server(*server, {"pub", "frozen", "after"})).exit_code == 0);
    const auto result = sub->wait(15s);
    INFO(result.err);
    CHECK(result.exit_code == 0);
    // stdout holds the messages and nothing else: notices belong on stderr.
    CHECK(result.out == "before\nafter\n");
    CHECK_FALSE(contains(result.err, "error"));
}

TEST_CASE("sub keeps reconnecting while its server is down, and SIGINT ends it at once",
          "[faults][connection][signals]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto sub = sandbox.spawn_subscribed(with_server(*server, {"sub", "gone", "--raw"}));
    // A message through the subscription first: the sub is past its own setup when the server dies.
    REQUIRE(sandbox.natty(with_server(*server, {"pub", "gone", "first"})).exit_code == 0);
    REQUIRE(sub->wait_for_output("first", 10s));
    server->kill9();
    REQUIRE(sub->wait_for_output("reconnecting", 10s, true));
    // Several of natty's 500 ms reconnect waits later it is still trying, not silently gone.
    std::this_thread::sleep_for(2s);
    CHECK_FALSE(sub->exited());
    sub->signal(SIGINT);
    const auto result = sub->wait(10s);
    INFO(result.err);
    CHECK_FALSE(result.timed_out);
    CHECK(result.exit_code == 130);
    CHECK(contains(result.err, "Received 1 message"));
}

TEST_CASE("a reload that changes the password ends a running sub with exit 5",
          "[faults][connection][reload]") {
    TempDir dir;
    Sandbox sandbox;
    auto server =
        NatsServer::start({.users = {{"alice", "old-pw-1", {}, {}}}}, dir.path() / "server");
    auto sub = sandbox.spawn_subscribed(
        with_server(*server, {"--user", "alice", "--password", "old-pw-1", "sub", "revoked"}));
    reload_with(*server, "\"old-pw-1\"", "\"new-pw-2\"");
    // nats.c gives up after the same server refused it twice; natty must not hang reconnecting.
    const auto result = sub->wait(20s);
    INFO(result.err);
    CHECK_FALSE(result.timed_out);
    CHECK(result.exit_code == k_denied);
    CHECK(contains(result.err, "natty: error: "));
    CHECK(contains(result.err, "uthorization"));
    CHECK_FALSE(contains(result.out + result.err, "old-pw-1"));
}

TEST_CASE("a reload that raises max_payload is honoured by the next pub and a live sub",
          "[faults][connection][reload]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({.max_payload = 1024}, dir.path() / "server");
    const std::string body(2000, 'p');
    const auto refused = sandbox.natty(with_server(*server, {"pub", "limits", body}));
    CHECK(refused.exit_code == k_usage);
    CHECK(contains(refused.err, "max_payload of 1,024 bytes"));
    auto sub =
        sandbox.spawn_subscribed(with_server(*server, {"sub", "limits", "--raw", "--count", "1"}));
    reload_with(*server, "max_payload: 1024", "max_payload: 4096");
    const auto sent = sandbox.natty(with_server(*server, {"pub", "limits", body}));
    INFO(sent.err);
    CHECK(sent.exit_code == 0);
    // The sub connected before the reload: it keeps running and gets the larger message.
    const auto received = sub->wait(15s);
    INFO(received.err);
    CHECK(received.exit_code == 0);
    CHECK(received.out == body + "\n");
}

TEST_CASE("certificates that must not verify fail every command with exit 6",
          "[faults][connection][tls]") {
    TempDir dir;
    const Pki pki = Pki::create(dir.path() / "pki");
    Sandbox sandbox;
    struct Case {
        std::string name;
        fs::path cert, key, ca;
        std::string host, needle;
    };
    const std::vector<Case> cases{
        {"expired", pki.expired_cert, pki.expired_key, pki.ca_cert, "localhost", "expired"},
        {"wrong CA",
         pki.server_cert,
         pki.server_key,
         pki.other_ca_cert,
         "localhost",
         "TLS certificate verification failed"},
        {"other host",
         pki.wrong_host_cert,
         pki.wrong_host_key,
         pki.ca_cert,
         "localhost",
         "mismatch"},
        {"DNS name only, reached by IP",
         pki.dns_only_cert,
         pki.dns_only_key,
         pki.ca_cert,
         "127.0.0.1",
         "mismatch"},
    };
    for (const auto& c : cases) {
        auto server = tls_server(dir.path() / c.name, c.cert, c.key);
        const std::vector<std::string> base{"--no-context",
                                            "-s",
                                            server->url_for_host(c.host),
                                            "--tlsca",
                                            c.ca.string(),
                                            "--timeout",
                                            "2s"};
        for (const auto& command : tls_commands()) {
            std::vector<std::string> args = base;
            args.insert(args.end(), command.begin(), command.end());
            const auto result = sandbox.natty(args, RunOptions{.timeout = 20s});
            INFO(c.name << ": " << command.front() << "\n" << result.out << result.err);
            CHECK_FALSE(result.timed_out);
            // server check speaks Nagios: a failed connection is CRITICAL (2).
            CHECK(result.exit_code == (command.front() == "server" ? 2 : k_tls));
            CHECK(contains(result.out + result.err, c.needle));
        }
    }
    // Control: the DNS-only certificate verifies when the server is reached by its name.
    auto named = tls_server(dir.path() / "named", pki.dns_only_cert, pki.dns_only_key);
    const auto ok = sandbox.natty({"--no-context",
                                   "-s",
                                   named->url_for_host("localhost"),
                                   "--tlsca",
                                   pki.ca_cert.string(),
                                   "pub",
                                   "tls.x",
                                   "fine"});
    INFO(ok.err);
    CHECK(ok.exit_code == 0);
}

TEST_CASE("a CA file that is not a certificate is refused before connecting",
          "[faults][connection][tls]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path() / "server");
    const fs::path garbage = dir.path() / "garbage.pem";
    std::ofstream(garbage) << "garbage\n";
    const fs::path empty = dir.path() / "empty.pem";
    std::ofstream(empty) << "";
    for (const auto& ca : {garbage, empty}) {
        const auto result = sandbox.natty(
            {"--no-context", "-s", server->url(), "--tlsca", ca.string(), "pub", "x", "y"});
        INFO(ca << ": " << result.err);
        // A configuration (3) or TLS (6) error, never a plaintext connect without the CA.
        CHECK((result.exit_code == 3 || result.exit_code == k_tls));
        CHECK(contains(result.err, ca.string()));
    }
    CHECK(natty_connections(*server) == 0);
    // Control: a plain pub does show up in the count.
    REQUIRE(sandbox.natty({"--no-context", "-s", server->url(), "pub", "x", "y"}).exit_code == 0);
    CHECK(natty_connections(*server) == 1);
}

TEST_CASE("server check connection completes with its perf data while another client floods",
          "[faults][check]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto sink = sandbox.spawn_natty(with_server(*server, {"sub", "flood", "--raw"}));
    REQUIRE(sink->wait_for_output("Subscribing", 10s, true));
    // Far more than the test takes: the flood runs for the whole check.
    auto flood = sandbox.spawn_natty(
        with_server(*server, {"pub", "flood", "0123456789abcdef", "--count", "100000000", "-q"}));
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (nlohmann::json::parse(server->monitor("/varz").body).value("in_msgs", 0) < 100000) {
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        std::this_thread::sleep_for(10ms);
    }
    const auto check = sandbox.natty(with_server(*server, {"server", "check", "connection"}));
    INFO(check.out << check.err);
    // OK, or WARNING/CRITICAL if the loaded machine is slow: a verdict with its measurements,
    // never UNKNOWN or a hang.
    CHECK((check.exit_code >= 0 && check.exit_code <= 2));
    CHECK(contains(check.out, "connect_time="));
    CHECK(contains(check.out, "rtt="));
    CHECK(contains(check.out, "request_time="));
    CHECK_FALSE(flood->exited()); // it really was flooding throughout
}
