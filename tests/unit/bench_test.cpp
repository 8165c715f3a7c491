// natty bench without a server: its flags and usage errors in-process, the plan the flags make,
// and the shape of its JSON and CSV reports.

#include "../../src/commands/bench_common.hpp"
#include "in_process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using namespace natty::test;
namespace bench = natty::bench;

namespace {

// natty with a server nothing listens on: a usage error must come before any connect.
RunResult offline(const InProcess& natty, std::vector<std::string> args) {
    args.insert(args.begin(), {"-s", "nats://127.0.0.1:1", "bench"});
    return natty.natty(args);
}

// A report with fixed times: 2 clients publishing 300 and 100 messages of 10 bytes, timed.
bench::Report sample_report() {
    bench::Report report;
    report.benchmark = "request";
    report.target_key = "subject";
    report.target = "svc.x";
    report.size = 10;
    report.clients = 2;
    bench::Phase phase{"request", std::vector<bench::ClientResult>(2), true};
    const auto t0 = bench::Clock::time_point{};
    auto& a = phase.clients[0];
    a.first = t0;
    a.last = t0 + std::chrono::seconds(2);
    a.msgs = 300;
    a.bytes = 3000;
    for (std::uint64_t v = 1; v <= 100; ++v) {
        a.latency.record(v);
    }
    auto& b = phase.clients[1];
    b.first = t0 + std::chrono::seconds(1);
    b.last = t0 + std::chrono::seconds(4);
    b.msgs = 100;
    b.bytes = 1000;
    b.latency.record(200);
    report.phases.push_back(std::move(phase));
    return report;
}

} // namespace

TEST_CASE("bench flags are range-checked and misuse exits 2 before connecting", "[bench]") {
    InProcess natty;
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{}, "natty: error: A subcommand is required"},
        {{"pub"}, "natty: error: subject is required"},
        {{"pub", "a b"}, "natty: error: invalid subject \"a b\": it contains a space"},
        {{"pub", "x", "--clients", "0"},
         "natty: error: --clients: must be a whole number from 1 to 256, not \"0\""},
        {{"sub", "x", "--clients", "257"},
         "natty: error: --clients: must be a whole number from 1 to 256, not \"257\""},
        {{"request", "x", "--msgs", "-1"},
         "natty: error: --msgs: must be a whole number from 1 to 1000000000000, not \"-1\""},
        {{"pub", "x", "--duration", "0s"},
         "natty: error: --duration must be from 1ms to 24h, not \"0s\""},
        {{"pub", "x", "--duration", "25h"},
         "natty: error: --duration must be from 1ms to 24h, not \"25h\""},
        {{"pub", "x", "--duration", "soon"}, "natty: error: --duration: invalid duration \"soon\""},
        {{"pub", "x", "--size", "65MiB"},
         "natty: error: --size must be from 0 to 64MiB, not \"65MiB\""},
        {{"request", "x", "--size", "big"}, "natty: error: --size: \"big\" is not a size"},
        {{"reply", "x", "--size", "-1"}, "natty: error: --size must be from 0 to 64MiB, not \"-1\""},
        {{"pub", "x", "--json", "--csv", "-"},
         "natty: error: --json and --csv - cannot be combined"},
        {{"kv", "--bucket", "bad b"},
         "natty: error: invalid bucket name: bucket name \"bad b\" contains ' '"},
        {{"kv", "--storage", "disk"},
         "natty: error: --storage: disk not in {file,memory}"},
        {{"sub", "x", "--size", "1"},
         "natty: error: The following arguments were not expected: 1 --size"},
        {{"pub", "x", "--msgs", "3", "--clients", "5"},
         "natty: error: --clients 5 is more than --msgs 3, which the clients share"},
        {{"kv", "--msgs", "1", "--clients", "2"},
         "natty: error: --clients 2 is more than --msgs 1, which the clients share"},
    };
    for (const auto& [args, first_line] : cases) {
        const auto result = offline(natty, args);
        INFO("natty bench " << (args.empty() ? std::string() : args.front()) << " ...: "
                            << result.err);
        CHECK(result.exit_code == 2);
        CHECK(result.out.empty());
        const auto lines = lines_of(result.err);
        REQUIRE_FALSE(lines.empty());
        CHECK(lines[0] == first_line);
        CHECK(lines.size() <= 2);
    }
}

TEST_CASE("bench help names every subcommand and the --msgs/--duration rule", "[bench]") {
    InProcess natty;
    const auto help = natty.natty({"bench", "--help"});
    CHECK(help.exit_code == 0);
    for (const char* sub : {"pub", "sub", "request", "reply", "kv"}) {
        CHECK(contains(help.out, sub));
    }
    CHECK(contains(help.out, "whichever comes first"));
    const auto kv = natty.natty({"bench", "kv", "--help"});
    CHECK(kv.exit_code == 0);
    CHECK(contains(kv.out, "--storage"));
    CHECK(contains(kv.out, "--bucket"));
}

TEST_CASE("bench --msgs and --duration: 100,000 by default, either limit, or both", "[bench]") {
    natty::BenchOptions o;
    auto plan = bench::check_plan(o);
    CHECK(plan.msgs == 100'000u);
    CHECK_FALSE(plan.duration);
    CHECK(plan.size == 128u);
    o.duration = "2s";
    plan = bench::check_plan(o);
    CHECK_FALSE(plan.msgs);
    CHECK(plan.duration == std::chrono::seconds(2));
    o.msgs = 5;
    o.size = "1KiB";
    plan = bench::check_plan(o);
    CHECK(plan.msgs == 5u);
    CHECK(plan.duration == std::chrono::seconds(2));
    CHECK(plan.size == 1024u);
    natty::BenchOptions echo;
    CHECK_FALSE(bench::check_plan(echo, /*size_defaults=*/false).size);
}

TEST_CASE("bench shares --msgs over the clients, the first ones taking the remainder", "[bench]") {
    CHECK(bench::share_of(10, 3, 0) == 4);
    CHECK(bench::share_of(10, 3, 1) == 3);
    CHECK(bench::share_of(10, 3, 2) == 3);
    CHECK(bench::share_of(2, 4, 3) == 0);
    CHECK(bench::payload(30).size() == 30);
    CHECK(bench::payload(3) == "abc");
}

TEST_CASE("bench --json is one document with totals, clients and latency percentiles",
          "[bench]") {
    const auto doc = bench::report_json(sample_report());
    CHECK(doc["benchmark"] == "request");
    CHECK(doc["subject"] == "svc.x");
    CHECK(doc["clients"] == 2);
    CHECK(doc["msg_size"] == 10);
    CHECK(doc["interrupted"] == false);
    REQUIRE(doc["phases"].size() == 1);
    const auto& phase = doc["phases"][0];
    CHECK(phase["name"] == "request");
    CHECK(phase["msgs"] == 400);
    CHECK(phase["bytes"] == 4000);
    CHECK(phase["dropped"] == 0);
    CHECK(phase["elapsed_s"].get<double>() == Approx(4.0));
    CHECK(phase["msgs_per_sec"].get<double>() == Approx(100.0));
    REQUIRE(phase["clients"].size() == 2);
    CHECK(phase["clients"][0]["client"] == 1);
    CHECK(phase["clients"][0]["msgs_per_sec"].get<double>() == Approx(150.0));
    CHECK(phase["clients"][1]["elapsed_s"].get<double>() == Approx(3.0));
    const auto& latency = phase["latency"];
    CHECK(latency["count"] == 101);
    CHECK(latency["min_ns"] == 1);
    CHECK(latency["max_ns"] == 200);
    CHECK(latency["p50_ns"] == 51);
    CHECK(latency["p90_ns"] == 91);
    CHECK(latency["p99_ns"] == 100);
    CHECK(latency["p99_9_ns"] == 200);
}

TEST_CASE("bench --csv has a header, a row per client and an all row per phase", "[bench]") {
    const auto lines = lines_of(bench::report_csv(sample_report()));
    REQUIRE(lines.size() == 4);
    CHECK(lines[0] == "benchmark,phase,client,msgs,bytes,dropped,elapsed_s,msgs_per_sec,"
                      "bytes_per_sec,p50_ns,p90_ns,p99_ns,p99_9_ns");
    CHECK(lines[1] == "request,request,1,300,3000,0,2.000000,150.0,1500.0,50,90,99,100");
    CHECK(lines[2] == "request,request,2,100,1000,0,3.000000,33.3,333.3,200,200,200,200");
    CHECK(lines[3] == "request,request,all,400,4000,0,4.000000,100.0,1000.0,51,91,100,200");
    auto untimed = sample_report();
    untimed.phases[0].timed = false;
    CHECK(lines_of(bench::report_csv(untimed))[3]
          == "request,request,all,400,4000,0,4.000000,100.0,1000.0,,,,");
}

TEST_CASE("bench completes its subcommands, flags and --csv file names", "[bench][completion]") {
    InProcess natty;
    const auto subs = natty.natty({"__complete", "bench", ""}).out;
    for (const char* sub : {"pub\n", "sub\n", "request\n", "reply\n", "kv\n"}) {
        CHECK(contains(subs, sub));
    }
    CHECK(contains(natty.natty({"__complete", "bench", "kv", "--st"}).out, "--storage\n"));
    CHECK(natty.natty({"__complete", "bench", "pub", "x", "--csv", ""}).out == "__files__\n");
}
