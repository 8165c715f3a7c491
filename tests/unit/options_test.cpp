#include <natty/commands/options.hpp>

#include <CLI/CLI.hpp>
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using namespace natty;

namespace {

constexpr auto k_int64_min = std::numeric_limits<std::int64_t>::min();
constexpr auto k_int64_max = std::numeric_limits<std::int64_t>::max();
constexpr auto k_uint64_max = std::numeric_limits<std::uint64_t>::max();

// Parses `--n VALUE` into `value` the way every command does; returns CLI11's error, if any.
template <typename T>
std::string parse_n(T& value, const std::string& text, CLI::Validator* check = nullptr) {
    CLI::App app;
    auto* option = app.add_option("--n", value);
    if (check != nullptr) {
        option->transform(*check);
    }
    std::vector<std::string> args{"--n=" + text};
    try {
        app.parse(args);
    } catch (const CLI::ParseError& e) {
        return e.what();
    }
    return "";
}

} // namespace

TEST_CASE("CLI11 2.1's own conversion saturates, wraps and reads octal", "[options]") {
    // Why the helper exists: each of these is accepted with a value nobody typed.
    std::uint64_t u = 0;
    CHECK(parse_n(u, "99999999999999999999").empty());
    CHECK(u == k_uint64_max);
    CHECK(parse_n(u, "-1").empty());
    CHECK(u == k_uint64_max);
    std::int64_t i = 0;
    CHECK(parse_n(i, "99999999999999999999").empty());
    CHECK(i == k_int64_max);
    CHECK(parse_n(i, "010").empty());
    CHECK(i == 8);
    // A narrower int is checked: 2^31 does not fit.
    int small = 0;
    CHECK_FALSE(parse_n(small, "2147483648").empty());
}

TEST_CASE("number_problem accepts decimal whole numbers inside the range", "[options]") {
    CHECK_FALSE(number_problem("1", {1, 64}));
    CHECK_FALSE(number_problem("64", {1, 64}));
    CHECK_FALSE(number_problem("007", {1, 64}));
    CHECK_FALSE(number_problem("-1", {-1, 100}));
    CHECK_FALSE(number_problem("-0", {0, 1}));
    CHECK_FALSE(number_problem("18446744073709551615", {0, k_uint64_max}));
    CHECK_FALSE(number_problem("-9223372036854775808", {k_int64_min, 0}));
}

TEST_CASE("number_problem names the range and the text it refuses", "[options]") {
    CHECK(number_problem("0", {1, 64}) == "must be a whole number from 1 to 64, not \"0\"");
    CHECK(number_problem("65", {1, 64}));
    CHECK(number_problem("-1", {0, 10}));
    CHECK(number_problem("-2", {-1, 10}));
    CHECK(number_problem("-9223372036854775809", {k_int64_min, 0}));
    CHECK(number_problem("18446744073709551616", {0, k_uint64_max}));
    CHECK(number_problem("99999999999999999999", {1, 1000}) ==
          "must be a whole number from 1 to 1000, not \"99999999999999999999\"");
    for (const char* bad : {"", "-", "+1", " 1", "1 ", "0x10", "1e3", "1.5", "one", "1-"}) {
        INFO(bad);
        CHECK(number_problem(bad, {0, 100}));
    }
    // Long or hostile text is shortened and stripped of control characters.
    const auto long_text = number_problem(std::string(100, '9') + "\x1b[2J", {0, 1});
    REQUIRE(long_text);
    CHECK(long_text->find('\x1b') == std::string::npos);
    CHECK(long_text->size() < 100);
}

TEST_CASE("whole_number rejects before conversion and hands CLI11 plain decimal", "[options]") {
    CLI::Validator revision = whole_number({1, static_cast<std::uint64_t>(k_int64_max)});
    std::uint64_t u = 0;
    const std::string error = parse_n(u, "99999999999999999999", &revision);
    CHECK(error == "--n: must be a whole number from 1 to 9223372036854775807, not "
                   "\"99999999999999999999\"");
    CHECK_FALSE(parse_n(u, "-1", &revision).empty());
    CHECK_FALSE(parse_n(u, "0", &revision).empty());
    CHECK(parse_n(u, "010", &revision).empty());
    CHECK(u == 10);
    CLI::Validator signed_range = whole_number({-1, 100});
    std::int64_t i = 0;
    CHECK(parse_n(i, "-1", &signed_range).empty());
    CHECK(i == -1);
    CHECK(parse_n(i, "-0", &signed_range).empty());
    CHECK(i == 0);
}
