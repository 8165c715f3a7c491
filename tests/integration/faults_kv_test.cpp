// Key-value and cluster faults from the reliability catalogue (C18, K09, K11, K14, K15, I06,
// S01, S05, S07): a store that outlives a crash, a cluster that loses a node, many keys, expiry,
// a reader that leaves, and signals on a watch.
#include "nats_server.hpp"
#include "process.hpp"
#include "sandbox.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <csignal>
#include <string>
#include <thread>
#include <vector>

using namespace natty::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// Runs natty against `urls` and requires success; returns stdout.
std::string ok(const Sandbox& sandbox, const std::string& urls, std::vector<std::string> args) {
    args.insert(args.begin(), {"--no-context", "-s", urls});
    const RunResult r = sandbox.natty(args);
    INFO("natty " << args[3] << " " << args[4] << ": " << r.err);
    REQUIRE(r.exit_code == 0);
    return r.out;
}

// Runs natty against `urls` until it succeeds, for up to 20 s (a cluster electing a new stream
// leader refuses writes for a moment); returns stdout.
std::string
ok_retrying(const Sandbox& sandbox, const std::string& urls, std::vector<std::string> args) {
    args.insert(args.begin(), {"--no-context", "-s", urls});
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    for (;;) {
        const RunResult r = sandbox.natty(args);
        if (r.exit_code == 0) {
            return r.out;
        }
        INFO(r.err);
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        std::this_thread::sleep_for(250ms);
    }
}

// Publishes `body` on `subject` through `urls` until `sub` has printed it: interest reaches
// the other nodes of a cluster a moment after a (re)subscription, and a node may be electing.
void publish_until_seen(const Sandbox& sandbox,
                        const std::string& urls,
                        const std::string& subject,
                        const std::string& body,
                        Child& sub) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!sub.wait_for_output(body, 500ms)) {
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        sandbox.natty({"--no-context", "-s", urls, "pub", subject, body});
    }
}

// The distinct lines of `text`, in the order they first appear.
std::vector<std::string> distinct_lines(const std::string& text) {
    std::vector<std::string> out;
    for (const auto& line : lines_of(text)) {
        if (std::find(out.begin(), out.end(), line) == out.end()) {
            out.push_back(line);
        }
    }
    return out;
}

std::unique_ptr<NatsServer> jetstream_server(const TempDir& dir) {
    return NatsServer::start({.jetstream = true}, dir.path() / "server");
}

} // namespace

TEST_CASE("a bucket on a server killed and restarted on the same store keeps values and revisions",
          "[faults][kv]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = jetstream_server(dir);
    const std::string url = server->url();
    ok(sandbox, url, {"kv", "add", "B", "--storage", "file", "--history", "5"});
    CHECK(ok(sandbox, url, {"kv", "put", "B", "k", "v1"}) == "1\n");
    CHECK(ok(sandbox, url, {"kv", "put", "B", "k", "v2"}) == "2\n");
    server->kill9();
    server->restart();
    CHECK(ok(sandbox, url, {"kv", "get", "B", "k", "--raw"}) == "v2");
    // Revisions continue after the crash; none is handed out twice.
    CHECK(ok(sandbox, url, {"kv", "put", "B", "k", "v3"}) == "3\n");
    const json history = json::parse(ok(sandbox, url, {"kv", "history", "B", "k", "--json"}));
    REQUIRE(history.size() == 3);
    CHECK(history[0]["data"] == "v1");
    CHECK(history[2]["data"] == "v3");
    // Not found under --json: nothing on stdout, still exit 7.
    const auto missing =
        sandbox.natty({"--no-context", "-s", url, "kv", "get", "B", "nokey", "--json"});
    CHECK(missing.exit_code == 7);
    CHECK(missing.out.empty());
}

TEST_CASE(
    "a cluster that loses a node: sub follows it and a lame duck, one-shot commands fail over",
    "[faults][kv][cluster]") {
    TempDir dir;
    Sandbox sandbox;
    // 30 s is the shortest lame duck nats-server 2.9 accepts; clients go after the grace period.
    auto cluster = NatsCluster::start(
        {.extra_config = "lame_duck_duration: \"30s\"\nlame_duck_grace_period: \"1s\"\n"},
        dir.path() / "cluster");
    const std::string all = cluster->urls();
    ok(sandbox, all, {"kv", "add", "R", "--replicas", "3"});
    ok(sandbox, all, {"kv", "put", "R", "k", "v1"});
    const std::string n1 = cluster->node(0).url();
    const std::string n2 = cluster->node(1).url();
    // Only n1's URL: the sub learns the other nodes from the cluster.
    auto sub = sandbox.spawn_natty({"--no-context", "-s", n1, "sub", "evt", "--raw"});
    REQUIRE(sub->wait_for_output("Subscribing", 10s, true));
    publish_until_seen(sandbox, n2, "evt", "before", *sub);

    cluster->node(0).kill9();
    REQUIRE(sub->wait_for_output("reconnected", 20s, true));
    CHECK(contains(sub->err(), "disconnected from " + n1));
    // The dead node first in the list: one-shot commands move on to the next URL.
    const std::string dead_first = n1 + "," + n2;
    CHECK(ok_retrying(sandbox, dead_first, {"pub", "evt", "probe"}).empty());
    publish_until_seen(sandbox, dead_first, "evt", "after", *sub);
    CHECK(ok_retrying(sandbox, dead_first, {"kv", "get", "R", "k", "--raw"}) == "v1");
    // A retried put may follow one that timed out but was stored: only the value is certain.
    CHECK_FALSE(ok_retrying(sandbox, dead_first, {"kv", "put", "R", "k", "v2"}).empty());
    CHECK(ok(sandbox, cluster->node(2).url(), {"kv", "get", "R", "k", "--raw"}) == "v2");

    // The node the sub moved to enters lame duck mode (SIGUSR2): the sub moves on again.
    const std::size_t current = contains(sub->err(), "reconnected to " + n2) ? 1 : 2;
    REQUIRE(contains(sub->err(), "reconnected to " + cluster->node(current).url()));
    const std::string last = cluster->node(3 - current).url();
    REQUIRE(::kill(cluster->node(current).pid(), SIGUSR2) == 0);
    REQUIRE(sub->wait_for_output("reconnected to " + last, 20s, true));
    CHECK(contains(sub->err(),
                   "server " + cluster->node(current).url() + " entering lame duck mode"));
    publish_until_seen(sandbox, last, "evt", "ducked", *sub);

    sub->signal(SIGINT);
    const auto result = sub->wait(10s);
    INFO(result.err);
    CHECK(result.exit_code == 130);
    const std::vector<std::string> expected{"before", "after", "ducked"};
    std::vector<std::string> seen = distinct_lines(result.out);
    seen.erase(std::remove(seen.begin(), seen.end(), "probe"), seen.end());
    CHECK(seen == expected);
}

TEST_CASE("50 000 keys are listed completely by kv keys, keys --json and ls, and `| head` ends it",
          "[faults][kv][volume]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = jetstream_server(dir);
    const std::string url = server->url();
    ok(sandbox, url, {"kv", "add", "MANY", "--storage", "memory"});
    // Core publishes into the bucket's subjects: the stream stores each as a key.
    ok(sandbox, url, {"pub", "$KV.MANY.k.{{Count}}", "v", "--count", "50000", "-q"});
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (json::parse(ok(sandbox, url, {"kv", "info", "MANY", "--json"}))["values"] != 50000) {
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        std::this_thread::sleep_for(100ms);
    }
    const auto keys = lines_of(ok(sandbox, url, {"kv", "keys", "MANY"}));
    CHECK(keys.size() == 50000);
    CHECK(json::parse(ok(sandbox, url, {"kv", "keys", "MANY", "--json"})).size() == 50000);
    const auto listed = json::parse(ok(sandbox, url, {"kv", "ls", "--json"}));
    REQUIRE(listed.size() == 1);
    CHECK(listed[0]["values"] == 50000);
    // A reader that leaves early (I04): the listing fails a flush long before its last key,
    // and that is still a quiet exit 0.
    const std::string cmd = "set -o pipefail; '" + natty_bin() + "' --no-context -s " + url
                            + " kv keys MANY | head -1";
    const auto head = run({"/bin/bash", "-c", cmd}, RunOptions{.env = sandbox.env()});
    INFO(head.err);
    CHECK(head.exit_code == 0);
    CHECK(lines_of(head.out).size() == 1);
    CHECK(head.err.empty());
}

TEST_CASE("a value past its bucket's TTL is not found", "[faults][kv]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = jetstream_server(dir);
    const std::string url = server->url();
    ok(sandbox, url, {"kv", "add", "T", "--ttl", "1s"});
    ok(sandbox, url, {"kv", "put", "T", "k", "soon gone"});
    CHECK(ok(sandbox, url, {"kv", "get", "T", "k", "--raw"}) == "soon gone");
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    RunResult gone;
    do {
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        std::this_thread::sleep_for(250ms);
        gone = sandbox.natty({"--no-context", "-s", url, "kv", "get", "T", "k"});
    } while (gone.exit_code == 0);
    CHECK(gone.exit_code == 7);
    CHECK(contains(gone.err, "key \"k\" not found in bucket \"T\""));
    CHECK(ok(sandbox, url, {"kv", "keys", "T"}).empty());
}

TEST_CASE("kv watch ends on SIGINT and SIGTERM without a disconnect notice",
          "[faults][kv][signals]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = jetstream_server(dir);
    const std::string url = server->url();
    ok(sandbox, url, {"kv", "add", "W"});
    ok(sandbox, url, {"kv", "put", "W", "k", "v"});
    for (const int sig : {SIGINT, SIGTERM}) {
        INFO("signal " << sig);
        auto watch = sandbox.spawn_natty({"--no-context", "-s", url, "kv", "watch", "W"});
        REQUIRE(watch->wait_for_output("end of initial values", 10s, true));
        watch->signal(sig);
        const auto result = watch->wait(10s);
        INFO(result.err);
        CHECK_FALSE(result.timed_out);
        // Handled, not killed by the signal; SIGINT is documented as 130.
        CHECK(result.exit_code > 0);
        if (sig == SIGINT) {
            CHECK(result.exit_code == 130);
        }
        CHECK(contains(result.out, "PUT W > k @1: v"));
        CHECK(contains(result.err, "watch stopped by signal"));
        CHECK_FALSE(contains(result.err, "disconnected"));
    }
}

TEST_CASE("kv put whose server dies before the ack never reports a revision", "[faults][kv]") {
    TempDir dir;
    Sandbox sandbox;
    // A plain server: a `reply` answers the bucket lookups as JetStream would, and a `sub` on the
    // bucket's subjects is the interest that never acknowledges, so the put waits for its ack.
    auto server = NatsServer::start({}, dir.path() / "server");
    const std::string url = server->url();
    const std::string stream_info =
        R"({"type":"io.nats.jetstream.api.v1.stream_info_response",)"
        R"("config":{"name":"KV_B","subjects":["$KV.B.>"],"retention":"limits",)"
        R"("max_consumers":-1,"max_msgs":-1,"max_bytes":-1,"max_age":0,)"
        R"("max_msgs_per_subject":1,"max_msg_size":-1,"discard":"new","storage":"file",)"
        R"("num_replicas":1,"duplicate_window":120000000000,"allow_rollup_hdrs":true,)"
        R"("deny_delete":true},"created":"2026-01-01T00:00:00Z",)"
        R"("state":{"messages":0,"bytes":0,"first_seq":0,"last_seq":0,"consumer_count":0}})";
    auto js = sandbox.spawn_natty(
        {"--no-context", "-s", url, "reply", "$JS.API.STREAM.INFO.KV_B", stream_info});
    REQUIRE(js->wait_for_output("Listening on", 10s, true));
    auto interest = sandbox.spawn_natty({"--no-context", "-s", url, "sub", "$KV.B.>", "--raw"});
    REQUIRE(interest->wait_for_output("Subscribing", 10s, true));

    auto put = sandbox.spawn_natty(
        {"--no-context", "-s", url, "--timeout", "10s", "kv", "put", "B", "k", "in flight"});
    const bool sent = interest->wait_for_output("in flight", 10s);
    INFO("put stderr: " << put->err());
    REQUIRE(sent);
    server->kill9();
    const auto result = put->wait(20s);
    INFO(result.err);
    CHECK_FALSE(result.timed_out);
    CHECK(result.exit_code > 0);
    CHECK(result.out.empty());
    CHECK(contains(result.err, "natty: error: "));
}
