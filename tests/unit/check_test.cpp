#include <natty/output/check.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <regex>

using natty::output::CheckFormat;
using natty::output::CheckResult;
using natty::output::CheckStatus;
using natty::output::classify;
using natty::output::Direction;
using natty::output::format_perfdata;
using natty::output::PerfItem;

TEST_CASE("classify: higher is worse fires at or above each threshold, critical first") {
    CHECK(classify(0.1, 0.5, 1.0) == CheckStatus::ok);
    CHECK(classify(0.5, 0.5, 1.0) == CheckStatus::warning);
    CHECK(classify(0.7, 0.5, 1.0) == CheckStatus::warning);
    CHECK(classify(1.0, 0.5, 1.0) == CheckStatus::critical);
    CHECK(classify(9.0, 0.5, 1.0) == CheckStatus::critical);
}

TEST_CASE("classify: unset thresholds never fire") {
    CHECK(classify(1e9, std::nullopt, std::nullopt) == CheckStatus::ok);
    CHECK(classify(5, std::nullopt, 4.0) == CheckStatus::critical);
    CHECK(classify(3, std::nullopt, 4.0) == CheckStatus::ok);
    CHECK(classify(5, 4.0, std::nullopt) == CheckStatus::warning);
    CHECK(classify(3, 4.0, std::nullopt) == CheckStatus::ok);
}

TEST_CASE("classify: critical below warning inverts the comparison (the Go CLI's rule)") {
    CHECK(classify(20, 10.0, 5.0) == CheckStatus::ok);
    CHECK(classify(10, 10.0, 5.0) == CheckStatus::warning);
    CHECK(classify(7, 10.0, 5.0) == CheckStatus::warning);
    CHECK(classify(5, 10.0, 5.0) == CheckStatus::critical);
    CHECK(classify(0, 10.0, 5.0) == CheckStatus::critical);
}

TEST_CASE("classify: an explicit direction overrides inversion") {
    // Certificate expiry: fewer seconds left is worse even with a single threshold.
    CHECK(classify(100, 30.0, std::nullopt, Direction::lower_is_worse) == CheckStatus::ok);
    CHECK(classify(20, 30.0, std::nullopt, Direction::lower_is_worse) == CheckStatus::warning);
    CHECK(classify(5, 30.0, 7.0, Direction::lower_is_worse) == CheckStatus::critical);
    CHECK(classify(-1, 30.0, 7.0, Direction::lower_is_worse) == CheckStatus::critical);
    CHECK(classify(8, 10.0, 5.0, Direction::higher_is_worse) == CheckStatus::critical);
}

TEST_CASE("perfdata: seconds get four decimals, thresholds follow") {
    CHECK(format_perfdata({"connect_time", 0.0371423, "s", 0.5, 1.0, ""})
          == "connect_time=0.0371s;0.5000;1.0000");
    CHECK(format_perfdata({"rtt", 0.010794792, "s", 0.5, 1.0, ""}) == "rtt=0.0108s;0.5000;1.0000");
}

TEST_CASE("perfdata: other units are integers, thresholds only when set") {
    CHECK(format_perfdata({"bytes", 1024.4, "B", {}, {}, ""}) == "bytes=1024B");
    CHECK(format_perfdata({"values", 12, "", {}, {}, ""}) == "values=12");
    CHECK(format_perfdata({"values", 12, "", {}, 100.0, ""}) == "values=12;;100");
    CHECK(format_perfdata({"values", 12, "", 50.0, {}, ""}) == "values=12;50;");
    CHECK(format_perfdata({"memory_pct", 84.6, "%", 75.0, 90.0, ""}) == "memory_pct=85%;75;90");
}

TEST_CASE("perfdata: names with whitespace are single-quoted") {
    CHECK(format_perfdata({"my metric", 1, "", {}, {}, ""}) == "'my metric'=1");
}

TEST_CASE("status: unknown beats critical beats warning beats ok") {
    CheckResult result("Connection", "connections");
    CHECK(result.status() == CheckStatus::ok);
    result.warning("w");
    CHECK(result.status() == CheckStatus::warning);
    result.critical("c");
    CHECK(result.status() == CheckStatus::critical);
    result.unknown("u");
    CHECK(result.status() == CheckStatus::unknown);
}

TEST_CASE("nagios line: Crit then Warn then every OK, then perfdata") {
    CheckResult result("Connection", "connections");
    result.ok("connected to nats://localhost:4222 in 37.14225ms");
    result.warning("rtt time exceeded 1ns");
    result.ok("round trip took 0.007935s");
    result.critical("something broke");
    result.perf({"connect_time", 0.0371, "s", 0.5, 1.0, ""});
    result.perf({"rtt", 0.0108, "s", 0.5, 1.0, ""});
    CHECK(natty::output::render_nagios(result)
          == "CRITICAL Connection Crit:something broke Warn:rtt time exceeded 1ns "
             "OK:connected to nats://localhost:4222 in 37.14225ms OK:round trip took 0.007935s | "
             "connect_time=0.0371s;0.5000;1.0000 rtt=0.0108s;0.5000;1.0000\n");
}

TEST_CASE("nagios line without perfdata has no separator") {
    CheckResult result("Connection", "connections");
    result.critical("connection failed: refused");
    CHECK(natty::output::render_nagios(result)
          == "CRITICAL Connection Crit:connection failed: refused\n");
}

TEST_CASE("json: the Go CLI's keys, empty lists left out, perf_data always present") {
    CheckResult result("Connection", "connections");
    result.ok("fine");
    const auto doc = natty::output::render_json(result);
    CHECK(doc["status"] == "OK");
    CHECK(doc["check_suite"] == "connections");
    CHECK(doc["check_name"] == "Connection");
    CHECK(doc["ok"] == nlohmann::json::array({"fine"}));
    CHECK_FALSE(doc.contains("warning"));
    CHECK_FALSE(doc.contains("critical"));
    CHECK(doc["perf_data"].is_array());
    CHECK(doc["perf_data"].empty());
}

TEST_CASE("prometheus: sorted gauges with help and a status_code sample, exit code 0") {
    CheckResult result("Con\"nection", "connections");
    result.perf({"rtt", 0.25, "s", 0.5, 1.0, "The round-trip-time of the connection"});
    result.perf({"connect_time", 0.5, "s", 0.5, 1.0, "Time taken to connect to NATS"});
    result.warning("slow");
    const std::string text = natty::output::render_prometheus(result, "nats_server_check");
    CHECK(text.find("# HELP nats_server_check_connections_connect_time Time taken to connect")
          != std::string::npos);
    CHECK(text.find("nats_server_check_connections_rtt{item=\"Con.nection\"} 0.25\n")
          != std::string::npos);
    CHECK(text.find("nats_server_check_connections_status_code{item=\"Con.nection\","
                    "status=\"WARNING\"} 1\n")
          != std::string::npos);
    CHECK(text.find("connect_time") < text.find("_rtt"));
    CHECK(natty::output::check_exit_code(result, CheckFormat::prometheus) == 0);
    CHECK(natty::output::check_exit_code(result, CheckFormat::nagios) == 1);
}

TEST_CASE("text: status line and both tables") {
    CheckResult result("Connection", "connections");
    result.ok("fine");
    result.perf({"rtt", 0.25, "s", 0.5, 1.0, "The round-trip-time"});
    const std::string text = natty::output::render_text(result);
    CHECK(text.rfind("Connection: OK\n", 0) == 0);
    CHECK(std::regex_search(text, std::regex("OK +fine")));
    CHECK(std::regex_search(text, std::regex("rtt +0\\.2500 +s +1\\.0000 +0\\.5000 +The")));
}

TEST_CASE("formats parse by name only") {
    CHECK(natty::output::parse_check_format("json") == CheckFormat::json);
    CHECK(natty::output::parse_check_format("nagios") == CheckFormat::nagios);
    CHECK(natty::output::parse_check_format("prometheus") == CheckFormat::prometheus);
    CHECK(natty::output::parse_check_format("text") == CheckFormat::text);
    CHECK_FALSE(natty::output::parse_check_format("JSON").has_value());
    CHECK_FALSE(natty::output::parse_check_format("").has_value());
}

TEST_CASE("go float: shortest digits, exponent form below 1e-4 and from 1e6, like Go's %v") {
    using natty::output::format_go_float;
    CHECK(format_go_float(0.5) == "0.5");
    CHECK(format_go_float(1) == "1");
    CHECK(format_go_float(0) == "0");
    CHECK(format_go_float(1e-9) == "1e-09");
    CHECK(format_go_float(0.0001) == "0.0001");
    CHECK(format_go_float(0.00005) == "5e-05");
    CHECK(format_go_float(0.25) == "0.25");
    CHECK(format_go_float(30) == "30");
    CHECK(format_go_float(123456) == "123456");
    CHECK(format_go_float(2592000) == "2.592e+06");
    CHECK(format_go_float(1.5) == "1.5");
}
