// `natty rtt` against real servers: every URL, every resolved address, microsecond precision.
#include "nats_server.hpp"
#include "sandbox.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

// GCC 12 reports a false -Wmaybe-uninitialized inside <regex> when sanitizers are on.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#pragma GCC diagnostic pop

using namespace natty::test;

namespace {

RunResult rtt(const Sandbox& sandbox, std::vector<std::string> args) {
    args.insert(args.begin(), "--no-context");
    return sandbox.natty(args, RunOptions{.timeout = std::chrono::seconds(30)});
}

// "1.234ms" or "412µs": microsecond precision, never nanoseconds.
const std::string k_micros = "[0-9]+(\\.[0-9]{1,3})?(µs|ms|s)";

} // namespace

TEST_CASE("rtt measures every node of the 3-node cluster", "[rtt][cluster]") {
    TempDir dir;
    auto cluster = NatsCluster::start(ServerOptions{.jetstream = true}, dir.path());
    Sandbox sandbox;
    const auto text = rtt(sandbox, {"-s", cluster->urls(), "rtt", "3"});
    INFO(text.out << text.err);
    CHECK(text.exit_code == 0);
    for (std::size_t i = 0; i < cluster->size(); ++i) {
        const std::string url = cluster->node(i).url();
        CHECK(std::regex_search(text.out,
                                std::regex("(^|\n)" + url + ":\n\n +" + url + ": " + k_micros
                                           + " \\(min " + k_micros + ", max " + k_micros
                                           + ", 3 round trips\\)\n")));
    }

    // The health checks work against the cluster's URL list too.
    const auto conn = rtt(sandbox, {"-s", cluster->urls(), "server", "check", "connection"});
    CHECK(conn.exit_code == 0);
    CHECK(std::regex_search(conn.out, std::regex("^OK Connection OK:connected to nats://127")));
    const auto js = rtt(sandbox, {"-s", cluster->urls(), "server", "check", "jetstream"});
    CHECK(js.exit_code == 0);
    CHECK(std::regex_search(js.out, std::regex("^OK JetStream .* streams=0 consumers=0\n$")));

    const auto json = rtt(sandbox, {"-s", cluster->urls(), "rtt", "4", "--json"});
    CHECK(json.exit_code == 0);
    const auto doc = nlohmann::json::parse(json.out);
    REQUIRE(doc.size() == 3);
    for (const auto& entry : doc) {
        REQUIRE(entry["results"].size() == 1);
        const auto& r = entry["results"][0];
        CHECK(r["address"] == "127.0.0.1");
        CHECK(r["iterations"] == 4);
        CHECK(r["rtt"].get<long long>() > 0);
        CHECK(r["min"].get<long long>() <= r["rtt"].get<long long>());
        CHECK(r["rtt"].get<long long>() <= r["max"].get<long long>());
        CHECK(std::regex_match(r["time"].get<std::string>(),
                               std::regex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z")));
    }
}

TEST_CASE("rtt reports each address of a host name and every URL, failures included", "[rtt]") {
    TempDir dir;
    auto server = NatsServer::start({}, dir.path());
    Sandbox sandbox;
    const std::string port = std::to_string(server->port());
    // The server listens on 127.0.0.1 only: the IPv6 loopback URL must fail on its own line
    // without hiding the working one.
    const auto result = rtt(sandbox,
                            {"-s",
                             "nats://localhost:" + port + ",nats://[::1]:" + port,
                             "--timeout",
                             "1s",
                             "rtt",
                             "2"});
    INFO(result.out << result.err);
    CHECK(std::regex_search(result.out,
                            std::regex("nats://localhost:" + port + ":\n\n +nats://127\\.0\\.0\\.1:"
                                       + port + ": " + k_micros)));
    CHECK(std::regex_search(
        result.out,
        std::regex("nats://\\[::1\\]:" + port + ": failed: cannot connect: connection refused\n")));
    CHECK(result.exit_code == 4);
    CHECK(result.err.find("1 of 2 addresses could not be measured") != std::string::npos);
}

TEST_CASE("rtt against a frozen server is a connect failure (4) that says it timed out",
          "[rtt][errors]") {
    TempDir dir;
    auto server = NatsServer::start({}, dir.path());
    Sandbox sandbox;
    RunResult result;
    server->pause();
    try {
        result = rtt(sandbox, {"-s", server->url(), "--timeout", "1s", "rtt", "2"});
    } catch (...) {
        server->resume();
        throw;
    }
    server->resume();
    INFO(result.out << result.err);
    CHECK(result.exit_code == 4);
    CHECK(result.out.find(server->url() + ": failed: cannot connect: timed out after 1s\n")
          != std::string::npos);
}

TEST_CASE("rtt rejects a bad iteration count before connecting", "[rtt]") {
    Sandbox sandbox;
    for (const std::string bad : {"0", "-3", "many", "100001"}) {
        const auto result = rtt(sandbox, {"-s", "nats://127.0.0.1:1", "rtt", bad});
        CHECK(result.exit_code == 2);
        CHECK(result.err.find("invalid ITERATIONS: must be a whole number from 1 to 100000, not \""
                              + bad + "\"")
              != std::string::npos);
    }
}
