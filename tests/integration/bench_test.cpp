// natty bench against real servers: message counts are exact for small runs, request is
// answered by bench reply, kv puts and gets every key, and Ctrl-C reports what was measured.
// Rates and latencies are only checked for shape, never for speed.

#include "nats_server.hpp"
#include "process.hpp"
#include "sandbox.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <regex>

using namespace natty::test;
using namespace std::chrono_literals;

namespace {

// Starts `natty bench ARGS` (sub or reply) and waits until it listens.
std::unique_ptr<Child>
start_listening(const Sandbox& sandbox, const NatsServer& server, std::vector<std::string> args) {
    args.insert(args.begin(), "bench");
    auto child = sandbox.spawn_natty(with_server(server, args));
    REQUIRE(child->wait_for_output("Listening on", 10s, true));
    return child;
}

nlohmann::json parse(const RunResult& result) {
    INFO(result.err);
    return nlohmann::json::parse(result.out);
}

} // namespace

TEST_CASE("bench sub receives exactly what bench pub sends, on every subscriber", "[bench]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto sub = start_listening(
        sandbox, *server, {"sub", "bench.x", "--msgs", "1000", "--clients", "2", "--json"});
    auto pub = sandbox.natty(with_server(
        *server, {"bench", "pub", "bench.x", "--msgs", "1000", "--clients", "3", "--size", "16",
                  "--json"}));
    REQUIRE(pub.exit_code == 0);
    const auto sent = parse(pub);
    CHECK(sent["benchmark"] == "pub");
    CHECK(sent["msg_size"] == 16);
    const auto& pub_phase = sent["phases"][0];
    CHECK(pub_phase["msgs"] == 1000);
    CHECK(pub_phase["bytes"] == 16000);
    REQUIRE(pub_phase["clients"].size() == 3);
    CHECK(pub_phase["clients"][0]["msgs"] == 334);
    CHECK(pub_phase["clients"][2]["msgs"] == 333);
    CHECK(pub_phase["msgs_per_sec"].get<double>() > 0);

    auto received = sub->wait(20s);
    REQUIRE(received.exit_code == 0);
    const auto got = parse(received);
    const auto& sub_phase = got["phases"][0];
    CHECK(sub_phase["name"] == "sub");
    CHECK(sub_phase["msgs"] == 2000);
    CHECK(sub_phase["dropped"] == 0);
    for (const auto& client : sub_phase["clients"]) {
        CHECK(client["msgs"] == 1000);
        CHECK(client["bytes"] == 16000);
    }
}

TEST_CASE("bench request is answered by bench reply and reports latency percentiles",
          "[bench]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto reply = start_listening(sandbox, *server, {"reply", "svc.bench", "--msgs", "200",
                                                    "--clients", "2", "--size", "4"});
    auto request = sandbox.natty(
        with_server(*server, {"bench", "request", "svc.bench", "--msgs", "200", "--clients", "2"}));
    REQUIRE(request.exit_code == 0);
    INFO(request.out);
    CHECK(std::regex_search(request.out,
                            std::regex(R"(Request stats: [0-9,]+ msgs/s ~ [0-9.]+ MiB/s \(200 msgs)")));
    CHECK(std::regex_search(request.out, std::regex(R"(Latency: min \S+  p50 \S+  p90 \S+  p99 \S+  p99\.9 \S+  max \S+)")));
    CHECK(std::regex_search(request.out, std::regex(R"(\|#+ *\| [0-9.]+% \([0-9,]+\))")));
    CHECK(std::regex_search(request.out, std::regex(R"(\[2\] [0-9,]+ msgs/s)")));

    auto served = reply->wait(20s);
    REQUIRE(served.exit_code == 0);
    CHECK(std::regex_search(served.out, std::regex(R"(Reply stats: .*\(200 msgs)")));

    SECTION("with nobody answering, request exits 7 and says what to start") {
        auto alone = sandbox.natty(with_server(*server, {"bench", "request", "svc.none", "--msgs", "5"}));
        CHECK(alone.exit_code == 7);
        CHECK_THAT(alone.err, Catch::Contains("no responders on \"svc.none\""));
        CHECK_THAT(alone.err, Catch::Contains("natty bench reply svc.none"));
    }
}

TEST_CASE("bench kv puts and gets every key in a bucket it creates", "[bench][kv]") {
    TempDir dir;
    Sandbox sandbox;
    ServerOptions opts;
    opts.jetstream = true;
    auto server = NatsServer::start(opts, dir.path());
    auto run = sandbox.natty(with_server(
        *server, {"bench", "kv", "--msgs", "300", "--clients", "2", "--size", "32", "--storage",
                  "memory", "--bucket", "B1", "--csv", "-"}));
    REQUIRE(run.exit_code == 0);
    CHECK_THAT(run.err, Catch::Contains("Created bucket \"B1\" (memory storage, history 1)"));
    const auto lines = lines_of(run.out);
    REQUIRE(lines.size() == 7); // header, then 2 clients + all for put and for get
    CHECK(std::regex_match(lines[3], std::regex(R"(kv,put,all,300,9600,0,[0-9.]+,[0-9.]+,[0-9.]+,[0-9]+,[0-9]+,[0-9]+,[0-9]+)")));
    CHECK(std::regex_match(lines[6], std::regex(R"(kv,get,all,300,9600,0,.*)")));
    CHECK(std::regex_match(lines[4], std::regex(R"(kv,get,1,150,4800,0,.*)")));

    auto info = sandbox.natty(with_server(*server, {"kv", "info", "B1", "--json"}));
    REQUIRE(info.exit_code == 0);
    const auto bucket = parse(info);
    CHECK(bucket["values"] == 300);
    CHECK(bucket["storage"] == "memory");

    // A second run reuses the bucket and reports as text.
    auto again = sandbox.natty(with_server(*server, {"bench", "kv", "--msgs", "10", "--bucket", "B1"}));
    REQUIRE(again.exit_code == 0);
    CHECK_FALSE(contains(again.err, "Created bucket"));
    CHECK(std::regex_search(again.out, std::regex(R"(KV put stats: .*\(10 ops)")));
    CHECK(std::regex_search(again.out, std::regex(R"(KV get stats: .*\(10 ops)")));
    CHECK(std::regex_search(again.out, std::regex(R"(KV put\+get: [0-9,]+ ops/s \(20 ops\))")));
}

TEST_CASE("bench sub interrupted prints what it measured and exits 130", "[bench][signals]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto sub = start_listening(sandbox, *server, {"sub", "bench.i", "--msgs", "1000000", "--json"});
    auto pub = sandbox.natty(with_server(*server, {"bench", "pub", "bench.i", "--msgs", "50"}));
    REQUIRE(pub.exit_code == 0);
    CHECK(std::regex_search(pub.out, std::regex(R"(Pub stats: [0-9,]+ msgs/s ~ [0-9.]+ MiB/s \(50 msgs)")));
    sub->signal(SIGINT);
    auto done = sub->wait(10s);
    CHECK(done.exit_code == 130);
    const auto doc = parse(done);
    CHECK(doc["interrupted"] == true);
    // How many of the 50 arrived before the signal is a matter of timing; never more.
    CHECK(doc["phases"][0]["msgs"].get<int>() <= 50);
    CHECK(doc["phases"][0]["clients"].size() == 1);
    CHECK_THAT(done.err, Catch::Contains("interrupted"));
}
