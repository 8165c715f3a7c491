#include <natty/error.hpp>
#include <natty/util/duration.hpp>

#include <catch2/catch.hpp>

using namespace natty;
using namespace std::chrono_literals;

TEST_CASE("durations parse Go syntax and natty's day unit", "[duration]") {
    CHECK(parse_duration("250ms", "x") == 250ms);
    CHECK(parse_duration("2s", "x") == 2s);
    CHECK(parse_duration("1.5s", "x") == 1500ms);
    CHECK(parse_duration("1m30s", "x") == 90s);
    CHECK(parse_duration("1h", "x") == 1h);
    CHECK(parse_duration("30d", "x") == 30 * 24h);
    CHECK(parse_duration("100us", "x") == 100us);
    CHECK(parse_duration("100\xC2\xB5s", "x") == 100us);
    CHECK(parse_duration("1ns", "x") == 1ns);
    CHECK(parse_duration("0", "x") == 0ns);
}

TEST_CASE("malformed durations are usage errors naming the flag", "[duration]") {
    for (const char* bad : {"", "5", "abc", "5x", "ms", "1.2.3s", "-1s"}) {
        INFO(bad);
        try {
            parse_duration(bad, "--timeout");
            FAIL("accepted");
        } catch (const UsageError& e) {
            CHECK(std::string(e.what()).find("--timeout") != std::string::npos);
            CHECK(e.code() == ExitCode::usage);
        }
    }
}

TEST_CASE("durations too long for a deadline are usage errors, not exceptions",
          "[duration]") {
    // std::stod threw std::out_of_range for these; 2^63 ns wrapped to a negative duration.
    std::string huge(400, '9'); // not std::string(...) + "s": GCC 12 -Warray-bounds misfires
    huge.push_back('s');
    for (const std::string& bad : {huge, std::string("9223372036854775808ns"),
                                  std::string("9223372036854775807ns"), std::string("106752d"),
                                  std::string("2562047h"), std::string("36501d")}) {
        INFO(bad);
        CHECK_THROWS_AS(parse_duration(bad, "--timeout"), UsageError);
    }
    std::string tiny = "0.";
    tiny.append(400, '0').append("1s");
    CHECK(parse_duration(tiny, "x") == 0ns);
    // 100 years is the longest: a deadline of now() + 2562047h overflowed (UBSan caught it).
    CHECK(parse_duration("36500d", "x") == 36500 * 24h);
    CHECK_THROWS_WITH(parse_duration("36500d1h", "--timeout"),
                      "--timeout: duration \"36500d1h\" is too long");
}

TEST_CASE("durations format like Go's time.Duration", "[duration]") {
    CHECK(format_go_duration(0ns) == "0s");
    CHECK(format_go_duration(37142250ns) == "37.14225ms");
    CHECK(format_go_duration(412us) == "412µs");
    CHECK(format_go_duration(1500ms) == "1.5s");
    CHECK(format_go_duration(123s) == "2m3s");
    CHECK(format_go_duration(3723s) == "1h2m3s");
    CHECK(format_go_duration(999ns) == "999ns");
}

TEST_CASE("millisecond conversion never rounds a positive duration to zero", "[duration]") {
    CHECK(to_millis(1ns) == 1);
    CHECK(to_millis(1500ms) == 1500);
    CHECK(to_millis(0ns) == 0);
}
