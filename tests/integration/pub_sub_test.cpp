#include "nats_server.hpp"
#include "process.hpp"
#include "sandbox.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

using namespace natty::test;
using namespace std::chrono_literals;

namespace {

// Starts `natty sub ARGS` and waits until it has subscribed.
std::unique_ptr<Child>
start_sub(const Sandbox& sandbox, const NatsServer& server, std::vector<std::string> args) {
    args.insert(args.begin(), "sub");
    auto child = sandbox.spawn_natty(with_server(server, args));
    REQUIRE(child->wait_for_output("Subscribing", 10s, true));
    return child;
}

} // namespace

TEST_CASE("pub and sub round-trip text with headers in stable order", "[messaging]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto sub = start_sub(sandbox, *server, {"orders.>", "--count", "2"});
    auto pub = sandbox.natty(with_server(*server,
                                  {"pub",
                                   "orders.new",
                                   "hello {{Count}}",
                                   "--count",
                                   "2",
                                   "-H",
                                   "Zeta:last",
                                   "-H",
                                   "Alpha: first "}));
    REQUIRE(pub.exit_code == 0);
    CHECK(std::regex_search(pub.err, std::regex("Published 7 bytes to \"orders.new\"")));
    auto result = sub->wait(10s);
    REQUIRE(result.exit_code == 0);
    CHECK(result.out
          == "[#1] Received on \"orders.new\"\nAlpha: first\nZeta: last\n\nhello 1\n\n"
             "[#2] Received on \"orders.new\"\nAlpha: first\nZeta: last\n\nhello 2\n\n");
}

TEST_CASE("binary bodies survive exactly in --raw and as base64 in --json", "[messaging]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    const std::string binary("\x00\x01\xff\xfe bin\n", 9);
    auto raw = start_sub(sandbox, *server, {"bin", "--count", "1", "--raw"});
    auto json = start_sub(sandbox, *server, {"bin", "--count", "1", "--json"});
    RunOptions stdin_body;
    stdin_body.stdin_data = binary;
    auto pub = sandbox.natty(with_server(*server, {"pub", "bin", "-H", "K:v"}), stdin_body);
    REQUIRE(pub.exit_code == 0);
    auto raw_result = raw->wait(10s);
    REQUIRE(raw_result.exit_code == 0);
    CHECK(raw_result.out == binary);
    auto json_result = json->wait(10s);
    REQUIRE(json_result.exit_code == 0);
    const auto doc = nlohmann::json::parse(json_result.out);
    CHECK(doc["subject"] == "bin");
    CHECK(doc["encoding"] == "base64");
    CHECK(doc["data_b64"] == "AAH//iBiaW4K");
    CHECK(doc["size"] == 9);
    CHECK(doc["headers"]["K"] == nlohmann::json::array({"v"}));
}

TEST_CASE("sub --json writes one parseable object per message", "[messaging]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto sub = start_sub(sandbox, *server, {"a.*", "b", "--json", "--count", "3"});
    REQUIRE(sandbox.natty(with_server(*server, {"pub", "a.x", "one"})).exit_code == 0);
    REQUIRE(sandbox.natty(with_server(*server, {"pub", "b", "two", "--reply", "r.1"})).exit_code == 0);
    const std::string tricky = "{\"n\":3}\t\\ \x01 \xc3\xa9";
    REQUIRE(sandbox.natty(with_server(*server, {"pub", "a.y", tricky})).exit_code == 0);
    auto result = sub->wait(10s);
    REQUIRE(result.exit_code == 0);
    const auto lines = lines_of(result.out);
    REQUIRE(lines.size() == 3);
    std::vector<std::string> subjects;
    for (const auto& line : lines) {
        const auto doc = nlohmann::json::parse(line);
        subjects.push_back(doc["subject"]);
        CHECK(std::regex_match(doc["time"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z)")));
        if (doc["subject"] == "a.y") {
            CHECK(doc["data"] == tricky);
        }
        if (doc["subject"] == "b") {
            CHECK(doc["reply"] == "r.1");
            CHECK(doc["data"] == "two");
        }
    }
    CHECK(subjects == std::vector<std::string>{"a.x", "b", "a.y"});
}

TEST_CASE("bad input is refused before connecting", "[messaging][errors]") {
    Sandbox sandbox;
    // Nothing listens here: a usage error must come before any connection attempt.
    const std::vector<std::string> down{"-s", "nats://127.0.0.1:1"};
    auto run_down = [&](std::vector<std::string> args) {
        args.insert(args.begin(), down.begin(), down.end());
        return sandbox.natty(args);
    };
    struct Case {
        std::vector<std::string> args;
        std::string needle;
    };
    const std::vector<Case> cases{
        {{"pub", "foo bar", "x"}, "it contains a space"},
        {{"pub", "foo..bar", "x"}, "empty token"},
        {{"pub", "", "x"}, "it is empty"},
        {{"pub", "foo\r\nPUB evil 1", "x"}, "carriage return"},
        {{"pub", "foo.>", "x"}, "wildcards"},
        {{"sub", "foo.>.bar"}, "'>' is only allowed as the last token"},
        {{"pub", "x", "y", "-H", "NoColon"}, "no ':'"},
        {{"pub", "x", "{{Bogus}}"}, "unknown template {{Bogus}}"},
        {{"pub", "x.{{Nope}}", "y"}, "unknown template {{Nope}} in subject"},
        {{"pub", "x", "y", "--count", "0"}, "--count must be at least 1"},
        {{"request", "x", "y", "--count", "0"}, "--count must be at least 1"},
        {{"sub", "x", "--queue", "a b"}, "--queue name"},
        {{"sub"}, "no subject"},
        {{"reply", "svc", "--queue", "bad queue"}, "--queue name"},
    };
    for (const auto& c : cases) {
        INFO(c.args.front() << " " << c.args.back());
        auto result = run_down(c.args);
        CHECK(result.exit_code == 2);
        CHECK_THAT(result.err, Catch::Contains(c.needle));
        CHECK_THAT(result.err, !Catch::Contains("connect"));
    }
}

TEST_CASE("oversized payloads are refused with the server's max_payload", "[messaging][errors]") {
    TempDir dir;
    Sandbox sandbox;
    ServerOptions options;
    options.max_payload = 1024;
    auto server = NatsServer::start(options, dir.path());
    auto result = sandbox.natty(with_server(*server, {"pub", "big", std::string(2000, 'x')}));
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("max_payload of 1,024 bytes"));
    CHECK_THAT(result.err, Catch::Contains("nothing was sent"));
}

TEST_CASE("publishing or subscribing without permission fails with exit 5", "[messaging][errors]") {
    TempDir dir;
    Sandbox sandbox;
    ServerOptions options;
    options.users.push_back(
        User{"limited", "secret-pw", {"allowed.>", "_INBOX.>"}, {"allowed.>", "_INBOX.>"}});
    auto server = NatsServer::start(options, dir.path());
    const std::string url = "nats://limited:secret-pw@127.0.0.1:" + std::to_string(server->port());
    auto ok = sandbox.natty({"-s", url, "pub", "allowed.x", "fine"});
    CHECK(ok.exit_code == 0);
    auto denied = sandbox.natty({"-s", url, "pub", "denied.x", "nope"});
    CHECK(denied.exit_code == 5);
    CHECK_THAT(denied.err, Catch::Contains("Permissions Violation"));
    CHECK_THAT(denied.err, !Catch::Contains("secret-pw"));
    auto many = sandbox.natty({"-s", url, "pub", "denied.x", "nope", "--count", "50"});
    CHECK(many.exit_code == 5);
    RunOptions quick;
    quick.timeout = 10s;
    auto sub = sandbox.natty({"-s", url, "sub", "denied.>"}, quick);
    CHECK_FALSE(sub.timed_out);
    CHECK(sub.exit_code == 5);
    CHECK_THAT(sub.err, Catch::Contains("Permissions Violation"));
}

TEST_CASE("queue group members split the messages", "[messaging]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto a = start_sub(sandbox, *server, {"work", "--queue", "q", "--raw", "--wait", "1s"});
    auto b = start_sub(sandbox, *server, {"work", "--queue", "q", "--raw", "--wait", "1s"});
    REQUIRE(sandbox.natty(with_server(*server, {"pub", "work", "{{Count}}", "--count", "200"})).exit_code
            == 0);
    auto ra = a->wait(15s);
    auto rb = b->wait(15s);
    REQUIRE(ra.exit_code == 0);
    REQUIRE(rb.exit_code == 0);
    const auto la = lines_of(ra.out);
    const auto lb = lines_of(rb.out);
    CHECK(la.size() + lb.size() == 200);
    CHECK_FALSE(la.empty());
    CHECK_FALSE(lb.empty());
}

TEST_CASE("SIGINT prints a summary and exits 130", "[messaging]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto sub = start_sub(sandbox, *server, {"s.>"});
    REQUIRE(sandbox.natty(with_server(*server, {"pub", "s.a", "12345", "--count", "3"})).exit_code == 0);
    REQUIRE(sandbox.natty(with_server(*server, {"pub", "s.b", "x"})).exit_code == 0);
    REQUIRE(sub->wait_for_output("[#4]", 10s));
    sub->signal(SIGINT);
    auto result = sub->wait(10s);
    CHECK(result.exit_code == 130);
    CHECK(std::regex_search(
        result.err, std::regex(R"(Received 4 messages \(16 B\) in [0-9.]+m?s on 2 subjects)")));
    CHECK_THAT(result.err, Catch::Contains("s.a: 3 messages, 15 B"));
    CHECK_THAT(result.err, Catch::Contains("s.b: 1 message, 1 B"));
}

TEST_CASE("100 000 messages published in bulk all reach a sub writing to a file",
          "[messaging][volume]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    const auto file = dir.path() / "out.txt";
    const std::string cmd = "exec '" + natty_bin() + "' -s " + server->url()
                            + " sub bulk --count 100000 --raw > '" + file.string() + "'";
    RunOptions opts;
    opts.env = sandbox.env();
    auto sub = Child::spawn({"/bin/sh", "-c", cmd}, opts);
    REQUIRE(sub->wait_for_output("Subscribing", 10s, true));
    auto pub =
        sandbox.natty(with_server(*server, {"pub", "bulk", "message {{Count}}", "--count", "100000"}));
    REQUIRE(pub.exit_code == 0);
    CHECK(std::regex_search(pub.err, std::regex("Published 100,000 messages")));
    auto result = sub->wait(60s);
    REQUIRE(result.exit_code == 0);
    CHECK_THAT(result.err, !Catch::Contains("dropped"));
    std::ifstream in(file);
    std::size_t count = 0;
    std::string line;
    std::string last;
    while (std::getline(in, line)) {
        ++count;
        last = line;
    }
    CHECK(count == 100000);
    CHECK(last == "message 100000");
}

TEST_CASE("a reader that stops ends sub cleanly with exit 0", "[messaging]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    const std::string cmd = "'" + natty_bin() + "' -s " + server->url()
                            + " sub head --raw | head -3; echo \"status=${PIPESTATUS:-}\"";
    RunOptions opts;
    opts.env = sandbox.env();
    auto pipeline = Child::spawn({"/bin/bash", "-c", "set -o pipefail; " + cmd}, opts);
    REQUIRE(pipeline->wait_for_output("Subscribing", 10s, true));
    REQUIRE(sandbox.natty(with_server(*server, {"pub", "head", "m{{Count}}", "--count", "5"})).exit_code
            == 0);
    auto result = pipeline->wait(10s);
    CHECK_FALSE(result.timed_out);
    CHECK(result.exit_code == 0);
    CHECK(result.out.substr(0, 9) == "m1\nm2\nm3\n");
    CHECK_THAT(result.err, !Catch::Contains("error"));
}

TEST_CASE("sub reconnects across a server restart and keeps counting", "[messaging][fault]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto sub = start_sub(sandbox, *server, {"r", "--count", "2", "--raw"});
    REQUIRE(sandbox.natty(with_server(*server, {"pub", "r", "before"})).exit_code == 0);
    REQUIRE(sub->wait_for_output("before", 10s));
    server->restart();
    REQUIRE(sub->wait_for_output("reconnected", 15s, true));
    REQUIRE(sandbox.natty(with_server(*server, {"pub", "r", "after"})).exit_code == 0);
    auto result = sub->wait(15s);
    CHECK(result.exit_code == 0);
    CHECK(result.out == "before\nafter\n");
    CHECK_THAT(result.err, Catch::Contains("disconnected"));
}

TEST_CASE("pub --send-on newline sends one message per stdin line", "[messaging]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto sub = start_sub(sandbox, *server, {"lines", "--raw", "--count", "3"});
    RunOptions opts;
    opts.stdin_data = "alpha\nbeta {{Count}}\ngamma\n";
    auto pub = sandbox.natty(with_server(*server, {"pub", "lines", "--send-on", "newline"}), opts);
    REQUIRE(pub.exit_code == 0);
    auto result = sub->wait(10s);
    REQUIRE(result.exit_code == 0);
    CHECK(result.out == "alpha\nbeta 2\ngamma\n");
}

TEST_CASE("sub --wait ends with exit 0 after a quiet period", "[messaging]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto result = sandbox.natty(with_server(*server, {"sub", "quiet", "--wait", "300ms"}));
    CHECK(result.exit_code == 0);
    CHECK(result.out.empty());
}

TEST_CASE("JetStream: pub -J prints the ack and sub --stream prints sequences",
          "[messaging][jetstream]") {
    TempDir dir;
    Sandbox sandbox;
    ServerOptions options;
    options.jetstream = true;
    auto server = NatsServer::start(options, dir.path());
    auto created =
        sandbox.natty(with_server(*server,
                           {"request",
                            "$JS.API.STREAM.CREATE.ORDERS",
                            R"({"name":"ORDERS","subjects":["js.>"],"storage":"memory"})",
                            "--raw"}));
    REQUIRE(created.exit_code == 0);
    auto pub = sandbox.natty(with_server(*server, {"pub", "-J", "js.new", "o{{Count}}", "--count", "2"}));
    REQUIRE(pub.exit_code == 0);
    CHECK(pub.out
          == "Stored in Stream: ORDERS Sequence: 1\nStored in Stream: ORDERS Sequence: 2\n");
    auto none = sandbox.natty(with_server(*server, {"pub", "-J", "nostream.x", "y"}));
    CHECK(none.exit_code == 7);
    auto sub = sandbox.natty(
        with_server(*server, {"sub", "--stream", "ORDERS", "js.>", "--all", "--count", "2"}));
    REQUIRE(sub.exit_code == 0);
    CHECK(std::regex_search(
        sub.out,
        std::regex(
            R"(\[#1\] Received JetStream message: stream: ORDERS seq: 1 / subject: js.new / time: \d{4}-)")));
    CHECK(std::regex_search(
        sub.out, std::regex(R"(\[#2\] Received JetStream message: stream: ORDERS seq: 2 )")));
    auto last = sandbox.natty(
        with_server(*server, {"sub", "--stream", "ORDERS", "--last", "--count", "1", "--json"}));
    REQUIRE(last.exit_code == 0);
    const auto doc = nlohmann::json::parse(last.out);
    CHECK(doc["stream_seq"] == 2);
    CHECK(doc["data"] == "o2");
}

TEST_CASE("binary bodies are summarised, not dumped, when stdout is a terminal",
          "[messaging][tty]") {
    if (!std::filesystem::exists("/usr/bin/script")) {
        WARN("script(1) not installed; skipping the terminal check");
        return;
    }
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    // script(1) gives natty a pseudo-terminal as stdout.
    const std::string cmd = "'" + natty_bin() + "' -s " + server->url() + " sub tty --count 1";
    RunOptions opts;
    opts.env = sandbox.env();
    auto sub = Child::spawn({"/usr/bin/script", "-qec", cmd, "/dev/null"}, opts);
    REQUIRE(sub->wait_for_output("Subscribing", 10s));
    RunOptions body;
    body.stdin_data = std::string("\x00\x01\x02\xff binary", 10);
    REQUIRE(sandbox.natty(with_server(*server, {"pub", "tty"}), body).exit_code == 0);
    auto result = sub->wait(10s);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains("<binary body, 10 bytes: use --raw, --json or --dump"));
    CHECK_THAT(result.out, !Catch::Contains("binary\r\n"));
}

TEST_CASE("bulk pub writes one summary line and no progress bar when stderr is piped",
          "[messaging]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto pub = sandbox.natty(with_server(*server, {"pub", "bulk", "x", "--count", "500"}));
    REQUIRE(pub.exit_code == 0);
    CHECK_THAT(pub.err, !Catch::Contains("\r"));
    CHECK(std::regex_match(pub.err,
                           std::regex("Published 500 messages \\(500 B\\) to \"bulk\" in "
                                      "[0-9.]+(µs|ms|s) \\([0-9]+ msgs/s\\)\n")));
}
