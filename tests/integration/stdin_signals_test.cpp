// stdin is bounded by the server's max_payload, and a signal while natty reads it sends
// nothing half-read (reliability issue, defects 6 and 7).

#include "nats_server.hpp"
#include "process.hpp"
#include "sandbox.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <string>
#include <thread>

using namespace natty::test;
using namespace std::chrono_literals;

namespace {

// A counter from the server's /varz or /connz page.
std::int64_t
server_stat(const NatsServer& server, const std::string& page, const std::string& key) {
    return nlohmann::json::parse(server.monitor(page).body).value(key, std::int64_t{-1});
}

// Waits until the server's counter reaches `want` (bounded; fails the test otherwise).
void wait_for_stat(const NatsServer& server,
                   const std::string& page,
                   const std::string& key,
                   std::int64_t want) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (server_stat(server, page, key) < want) {
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        std::this_thread::sleep_for(10ms);
    }
}

// `natty pub ARGS` with stdin left open, once it has connected (and so is reading stdin).
std::unique_ptr<Child>
start_pub(const Sandbox& sandbox, const NatsServer& server, std::vector<std::string> args) {
    args.insert(args.begin(), "pub");
    auto child = sandbox.spawn_natty(with_server(server, args), RunOptions{.close_stdin = false});
    wait_for_stat(server, "/connz", "num_connections", 1);
    return child;
}

} // namespace

TEST_CASE("pub takes stdin up to the server's max_payload and refuses one byte more", "[stdin]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({.max_payload = 1024}, dir.path());
    const auto pub = [&](std::string data) {
        return sandbox.natty(with_server(*server, {"pub", "in"}),
                             RunOptions{.stdin_data = std::move(data)});
    };
    CHECK(pub(std::string(1024, 'x')).exit_code == 0);
    const auto over = pub(std::string(1025, 'x'));
    CHECK(over.exit_code == 2);
    CHECK_THAT(over.err,
               Catch::Contains("stdin holds more than the server's max_payload of 1,024 bytes; "
                               "nothing was sent"));
    // 8 MB: only 1 025 bytes are read before the refusal, so memory stays bounded.
    const auto huge = pub(std::string(8 << 20, 'y'));
    CHECK(huge.exit_code == 2);
    CHECK_THAT(huge.err, Catch::Contains("max_payload of 1,024 bytes"));
    CHECK(server_stat(*server, "/varz", "in_msgs") == 1);
}

TEST_CASE("request and kv put bound stdin by max_payload too", "[stdin][kv]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({.jetstream = true, .max_payload = 2048}, dir.path());
    REQUIRE(sandbox.natty(with_server(*server, {"kv", "add", "B"})).exit_code == 0);
    REQUIRE(sandbox.natty(with_server(*server, {"kv", "put", "B", "k", "old"})).exit_code == 0);
    const RunOptions big{.stdin_data = std::string(4096, 'z')};
    const auto put = sandbox.natty(with_server(*server, {"kv", "put", "B", "k"}), big);
    CHECK(put.exit_code == 2);
    CHECK_THAT(put.err, Catch::Contains("max_payload of 2,048 bytes"));
    const auto get = sandbox.natty(with_server(*server, {"kv", "get", "B", "k", "--raw"}));
    CHECK(get.out == "old");
    const auto request =
        sandbox.natty(with_server(*server, {"request", "svc", "--timeout", "1s"}), big);
    CHECK(request.exit_code == 2);
    CHECK_THAT(request.err, Catch::Contains("max_payload of 2,048 bytes"));
}

TEST_CASE("a signal while pub waits for stdin sends nothing and exits 130 or 143",
          "[stdin][signal]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    const auto [sig, code] = GENERATE(std::pair{SIGINT, 130}, std::pair{SIGTERM, 143});
    auto pub = start_pub(sandbox, *server, {"partial"});
    pub->write_stdin("half a messa");
    std::this_thread::sleep_for(200ms);
    pub->signal(sig);
    const auto result = pub->wait(10s);
    INFO(result.err);
    CHECK(result.exit_code == code);
    CHECK_THAT(result.err, Catch::Contains("interrupted while reading stdin; nothing was sent"));
    CHECK(server_stat(*server, "/varz", "in_msgs") == 0);
}

TEST_CASE("SIGTERM during --send-on newline keeps the whole lines, drops the partial one and "
          "says so",
          "[stdin][signal]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto pub = start_pub(sandbox, *server, {"lines", "--send-on", "newline"});
    pub->write_stdin("one\ntwo\n");
    wait_for_stat(*server, "/varz", "in_msgs", 2);
    pub->write_stdin("thr");
    std::this_thread::sleep_for(200ms);
    pub->signal(SIGTERM);
    const auto result = pub->wait(10s);
    INFO(result.err);
    CHECK(result.exit_code == 143);
    CHECK_THAT(result.err, Catch::Contains("Published 2 messages (6 B) to \"lines\""));
    CHECK_THAT(result.err, Catch::Contains("interrupted after 2 messages"));
    CHECK(server_stat(*server, "/varz", "in_msgs") == 2);
}

TEST_CASE("an interrupted --send-on newline before any line names the subject it was given",
          "[stdin][signal]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto pub = start_pub(sandbox, *server, {"orders.{{Count}}", "--send-on", "newline"});
    std::this_thread::sleep_for(200ms);
    pub->signal(SIGINT);
    const auto result = pub->wait(10s);
    CHECK(result.exit_code == 130);
    CHECK_THAT(result.err, Catch::Contains("Published 0 messages (0 B) to \"orders.{{Count}}\""));
    CHECK_THAT(result.err, Catch::Contains("interrupted after 0 messages"));
}
