// Messaging faults from the reliability catalogue (M01, I04, I05, I06, L02, S01, S03): payloads at
// the limit, a reader that leaves while messages keep coming, odd but valid arguments, --json
// under errors, a subscriber stopped long enough for the server to cut it off, and Ctrl-C.
#include "nats_server.hpp"
#include "process.hpp"
#include "sandbox.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <string>
#include <thread>
#include <vector>

using namespace natty::test;
using namespace std::chrono_literals;

namespace {

// Keeps a SIGSTOPped natty resumable whatever a failing assertion does.
struct StoppedChild {
    Child& child;
    explicit StoppedChild(Child& c) : child(c) { child.signal(SIGSTOP); }
    ~StoppedChild() { child.signal(SIGCONT); }
    StoppedChild(const StoppedChild&) = delete;
    StoppedChild& operator=(const StoppedChild&) = delete;
};

// Waits until the server has counted a slow consumer; false after `timeout`.
bool slow_consumer_seen(const NatsServer& server, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto varz = nlohmann::json::parse(server.monitor("/varz").body);
        if (varz.value("slow_consumers", 0) > 0) {
            return true;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(50ms);
    }
}

} // namespace

TEST_CASE("a payload of exactly max_payload is sent, and headers count toward the limit",
          "[faults][messaging]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({.max_payload = 1024}, dir.path());
    auto sub =
        sandbox.spawn_subscribed(with_server(*server, {"sub", "edge", "--raw", "--count", "1"}));
    const std::string exact(1024, 'e');
    const auto sent = sandbox.natty(with_server(*server, {"pub", "edge", exact}));
    INFO(sent.err);
    CHECK(sent.exit_code == 0);
    const auto received = sub->wait(10s);
    CHECK(received.exit_code == 0);
    CHECK(received.out == exact + "\n");
    // 1000 body bytes fit on their own; with a 100-byte header value they no longer do.
    const auto with_header = sandbox.natty(with_server(
        *server, {"pub", "edge", std::string(1000, 'h'), "-H", "K:" + std::string(100, 'v')}));
    CHECK(with_header.exit_code == 2);
    CHECK(contains(with_header.err, "max_payload of 1,024 bytes"));
    CHECK(contains(with_header.err, "nothing was sent"));
}

TEST_CASE("`sub | head -1` ends at once while a publisher keeps sending", "[faults][messaging]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    for (const std::string view : {"--raw", "--json"}) {
        INFO(view);
        const std::string cmd = "set -o pipefail; '" + natty_bin() + "' --no-context -s "
                                + server->url() + " sub flood " + view + " | head -1";
        auto pipeline = Child::spawn({"/bin/bash", "-c", cmd}, RunOptions{.env = sandbox.env()});
        REQUIRE(pipeline->wait_for_output("Subscribing", 10s, true));
        // About 1 000 messages a second for far longer than the test: the pipeline must end on
        // its own once head has its line, not when the messages stop.
        auto publisher = sandbox.spawn_natty(with_server(
            *server, {"pub", "flood", "m{{Count}}", "--count", "100000", "--sleep", "1ms"}));
        const auto result = pipeline->wait(15s);
        INFO(result.err);
        CHECK_FALSE(result.timed_out);
        CHECK(result.exit_code == 0);
        CHECK_FALSE(contains(result.err, "error"));
        if (view == "--raw") {
            CHECK(result.out == "m1\n");
        } else {
            CHECK(nlohmann::json::parse(result.out)["data"] == "m1");
        }
        CHECK_FALSE(publisher->exited());
    }
}

TEST_CASE("a 100 KB body, a UTF-8 subject, an emoji header and an empty stdin round-trip exactly",
          "[faults][messaging]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto sub = sandbox.spawn_subscribed(
        with_server(*server, {"sub", "caf\xc3\xa9.>", "--json", "--count", "2"}));
    std::string body(100 * 1000, 'b');
    body.replace(0, 6, "\xc3\xa9t\xc3\xa9 ");
    const auto sent = sandbox.natty(
        with_server(*server, {"pub", "caf\xc3\xa9.x", body, "-H", "Mood:\xf0\x9f\x99\x82"}));
    INFO(sent.err);
    REQUIRE(sent.exit_code == 0);
    // No body argument and an empty stdin: one empty message.
    REQUIRE(sandbox.natty(with_server(*server, {"pub", "caf\xc3\xa9.empty"})).exit_code == 0);
    const auto received = sub->wait(10s);
    REQUIRE(received.exit_code == 0);
    const auto docs = json_lines(received.out);
    REQUIRE(docs.size() == 2);
    CHECK(docs[0]["subject"] == "caf\xc3\xa9.x");
    CHECK(docs[0]["data"] == body);
    CHECK(docs[0]["headers"]["Mood"] == nlohmann::json::array({"\xf0\x9f\x99\x82"}));
    CHECK(docs[1]["subject"] == "caf\xc3\xa9.empty");
    CHECK(docs[1]["data"] == "");
    CHECK(docs[1]["size"] == 0);
}

TEST_CASE("errors under --json leave stdout empty and keep their exit codes",
          "[faults][messaging]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start(
        {.users = {{"all", "all-pw", {}, {}}, {"limited", "lim-pw", {"ok.>"}, {"_INBOX.>"}}}},
        dir.path());
    const std::vector<std::string> all{
        "-s", server->url(), "--user", "all", "--password", "all-pw"};
    const std::vector<std::string> limited{
        "-s", server->url(), "--user", "limited", "--password", "lim-pw"};
    struct Case {
        std::vector<std::string> login, args;
        int code;
    };
    const std::vector<Case> cases{
        {all, {"request", "nobody.home", "x", "--json"}, 7},
        {limited, {"request", "denied.svc", "x", "--json", "--timeout", "2s"}, 5},
        {limited, {"sub", "denied.>", "--json"}, 5},
        {all, {"kv", "ls", "--json"}, 1},
        {{"-s", server->url(), "--user", "all", "--password", "wrong"},
         {"request", "x", "y", "--json"},
         5},
    };
    for (const auto& c : cases) {
        std::vector<std::string> args = c.login;
        args.insert(args.end(), c.args.begin(), c.args.end());
        const auto result = sandbox.natty(args, RunOptions{.timeout = 20s});
        INFO(c.args.front() << " " << c.args[1] << ": " << result.err);
        CHECK_FALSE(result.timed_out);
        CHECK(result.exit_code == c.code);
        CHECK(result.out.empty());
        CHECK(contains(result.err, "natty: error: "));
    }
}

TEST_CASE("a sub stopped until the server cuts it off as a slow consumer reconnects when continued",
          "[faults][messaging][signals]") {
    TempDir dir;
    Sandbox sandbox;
    // The server drops a client that has not taken its data for 1 s (the default is 10 s, and
    // meanwhile the server holds back the publisher).
    auto server = NatsServer::start({.extra_config = "write_deadline: \"1s\"\n"}, dir.path());
    auto sub = sandbox.spawn_subscribed(with_server(*server, {"sub", "slow.>", "--subjects-only"}));
    // One message through first: the sub is past its own setup when it is stopped.
    REQUIRE(sandbox.natty(with_server(*server, {"pub", "slow.first", "x"})).exit_code == 0);
    REQUIRE(sub->wait_for_output("slow.first", 10s));
    {
        StoppedChild stopped(*sub);
        // 5 MB: far more than the socket buffers of a reader that has stopped reading hold.
        const auto flood = sandbox.natty(
            with_server(*server, {"pub", "slow.flood", std::string(1000, 'f'), "--count", "5000"}));
        INFO(flood.err);
        REQUIRE(flood.exit_code == 0);
        REQUIRE(slow_consumer_seen(*server, 20s));
    }
    const bool reconnected = sub->wait_for_output("reconnected", 20s, true);
    INFO(sub->err());
    REQUIRE(reconnected);
    // Resubscribed after the reconnect: new messages arrive again.
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!contains(sub->out(), "slow.after")) {
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        REQUIRE(sandbox.natty(with_server(*server, {"pub", "slow.after", "x"})).exit_code == 0);
        sub->wait_for_output("slow.after", 500ms);
    }
    sub->signal(SIGINT);
    const auto result = sub->wait(10s);
    INFO(result.err);
    CHECK(result.exit_code == 130);
    CHECK(contains(result.err, "disconnected"));
}

TEST_CASE("Ctrl-C on sub prints the summary without a disconnect notice, and SIGTERM also ends it",
          "[faults][messaging][signals]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    for (const int sig : {SIGINT, SIGTERM}) {
        INFO("signal " << sig);
        auto sub = sandbox.spawn_subscribed(with_server(*server, {"sub", "sig"}));
        REQUIRE(sandbox.natty(with_server(*server, {"pub", "sig", "one"})).exit_code == 0);
        REQUIRE(sub->wait_for_output("one", 10s));
        sub->signal(sig);
        const auto result = sub->wait(10s);
        INFO(result.err);
        CHECK_FALSE(result.timed_out);
        // Handled, not killed by the signal; SIGINT is documented as 130.
        CHECK(result.exit_code > 0);
        if (sig == SIGINT) {
            CHECK(result.exit_code == 130);
        }
        CHECK(contains(result.err, "Received 1 message"));
        // An intentional close is not news.
        CHECK_FALSE(contains(result.err, "disconnected"));
    }
}
