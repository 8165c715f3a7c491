// The command line run in-process through run_cli(): usage errors, help and version, with no
// server and no child process. Every usage error is one `natty: error:` line (plus an optional
// hint), exit code 2, and happens before any connection is tried (the server given is closed).

#include "in_process.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

using namespace natty::test;

namespace {

// natty with a server nothing listens on: a usage error must come before any connect.
RunResult offline(const InProcess& natty, std::vector<std::string> args) {
    args.insert(args.begin(), {"-s", "nats://127.0.0.1:1"});
    return natty.natty(args);
}

} // namespace

TEST_CASE("an unknown flag is a usage error naming the flag") {
    InProcess natty;
    const auto result = offline(natty, {"--no-such-flag", "context", "ls"});
    CHECK(result.exit_code == 2);
    CHECK(result.out.empty());
    const auto lines = lines_of(result.err);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0] == "natty: error: The following argument was not expected: --no-such-flag");
    CHECK(lines[1] == "hint: see `natty --help` or `natty COMMAND --help`");
}

TEST_CASE("usage errors are one line and exit 2 before any connection") {
    InProcess natty;
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"pub"}, "natty: error: subject is required"},
        {{"pub", "a b", "x"}, "natty: error: invalid subject \"a b\": it contains a space"},
        {{"sub", ""}, "natty: error: invalid subject \"\": it is empty"},
        {{"rtt", "abc"},
         "natty: error: invalid ITERATIONS: must be a whole number from 1 to 100000, not \"abc\""},
        {{"request", "--raw", "--json", "x"},
         "natty: error: --raw and --json cannot be combined"},
        {{"kv", "get"}, "natty: error: bucket is required"},
        {{"kv", "get", "bad bucket", "k"},
         "natty: error: invalid bucket name: bucket name \"bad bucket\" contains ' '"},
        {{"context", "save", "bad/name"},
         "natty: error: invalid context name \"bad/name\": it contains a character other than "
         "letters, digits, '_', '-' and '.'"},
        {{}, "natty: error: A subcommand is required"},
    };
    for (const auto& [args, first_line] : cases) {
        const auto result = offline(natty, args);
        INFO("natty " << (args.empty() ? std::string() : args.front()) << " ...: " << result.err);
        CHECK(result.exit_code == 2);
        const auto lines = lines_of(result.err);
        REQUIRE_FALSE(lines.empty());
        CHECK(lines[0] == first_line);
        CHECK(lines.size() <= 2);
        if (lines.size() == 2) {
            CHECK(lines[1].rfind("hint: ", 0) == 0);
        }
    }
}

TEST_CASE("help goes to stdout with exit 0 and the version names nats.c") {
    InProcess natty;
    const auto help = natty.natty({"--help"});
    CHECK(help.exit_code == 0);
    CHECK(contains(help.out, "Exit codes:"));
    CHECK(help.err.empty());
    const auto kv_help = natty.natty({"kv", "--help"});
    CHECK(kv_help.exit_code == 0);
    CHECK(contains(kv_help.out, "watch"));
    const auto version = natty.natty({"--version"});
    CHECK(version.exit_code == 0);
    CHECK(version.out.rfind("natty ", 0) == 0);
    CHECK(contains(version.out, "(nats.c 3."));
}

// run_cli builds only the invoked command family: each name and alias `natty --help` lists
// (a line "  NAME, ALIAS   Description") must still reach its own family and its help.
TEST_CASE("every command and alias in the top-level help shows its own help") {
    InProcess natty;
    const auto help = natty.natty({"--help"});
    REQUIRE(help.exit_code == 0);
    const auto lines = lines_of(help.out);
    auto line = std::find(lines.begin(), lines.end(), "Subcommands:");
    REQUIRE(line != lines.end());
    std::size_t words = 0;
    for (++line; line != lines.end() && line->rfind("  ", 0) == 0; ++line) {
        const std::string names = line->substr(2, line->find("  ", 2) - 2);
        const std::string description =
            line->substr(line->find_first_not_of(' ', 2 + names.size()));
        for (std::size_t start = 0; start < names.size();) {
            const std::size_t end = std::min(names.find(", ", start), names.size());
            const std::string word = names.substr(start, end - start);
            start = end + 2;
            ++words;
            INFO(word);
            const auto own = natty.natty({"--no-context", word, "--help"});
            CHECK(own.exit_code == 0);
            CHECK(lines_of(own.out).front() == description);
        }
    }
    CHECK(words >= 8);
}

TEST_CASE("the environment comes from Io and not from the process") {
    InProcess natty;
    REQUIRE(natty.natty({"context", "save", "envtest", "--server", "nats://h:1"}).exit_code == 0);
    const auto saved = natty.natty({"context", "info", "envtest", "--json"});
    REQUIRE(saved.exit_code == 0);
    CHECK(contains(saved.out, "\"url\": \"nats://h:1\""));
    // NATS_URL in the run's environment beats the context, as it would in a real process.
    const auto overridden = natty.natty({"context", "info", "envtest", "--json"},
                                        RunOptions{.env = {{"NATS_URL", "nats://from-env:2"}}});
    REQUIRE(overridden.exit_code == 0);
    CHECK(contains(overridden.out, "\"url\": \"nats://from-env:2\""));
    CHECK(contains(overridden.out, "\"url\": \"env NATS_URL\""));
}

TEST_CASE("text echoed in an error cannot split the line or reach the terminal raw") {
    InProcess natty;
    // A subject with a newline, an ESC sequence and invalid UTF-8, as a careless script or a
    // hostile peer could hand it over.
    const auto result = offline(natty, {"pub", "a\nb\x1b[31m\xff", "x"});
    CHECK(result.exit_code == 2);
    const auto lines = lines_of(result.err);
    REQUIRE_FALSE(lines.empty());
    CHECK(contains(lines[0], "a\\nb\\x1b[31m\xEF\xBF\xBD"));
    CHECK_FALSE(contains(result.err, "\x1b"));
    CHECK_FALSE(contains(result.err, "\xff"));
}

TEST_CASE("counts beyond 64 bits or negative or in hex are refused before connecting") {
    InProcess natty;
    const std::vector<std::vector<std::string>> cases = {
        {"pub", "a", "x", "--count", "99999999999999999999"},
        {"pub", "a", "x", "--count", "-1"},
        {"pub", "a", "x", "--count", "0x10"},
        {"request", "a", "x", "--count", "99999999999999999999"},
        {"request", "a", "x", "--replies", "-1"},
        {"reply", "a", "--count", "0"},
        {"sub", "a", "--count", "18446744073709551615"},
        {"sub", "a", "--stream", "S", "--start-sequence", "-1"},
    };
    for (const auto& args : cases) {
        const auto result = offline(natty, args);
        INFO("natty " << args.front() << " " << args.at(args.size() - 2) << " "
                      << args.back() << ": " << result.err);
        CHECK(result.exit_code == 2);
        const auto lines = lines_of(result.err);
        REQUIRE_FALSE(lines.empty());
        CHECK(contains(lines[0], "natty: error: " + args.at(args.size() - 2) + ": must be a whole "
                                 "number from "));
    }
}

TEST_CASE("bad subjects, headers, templates, counts and names are refused before connecting") {
    InProcess natty;
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
        {{"pub", "x", "y", "--count", "0"}, "--count: must be a whole number from 1 to "},
        {{"request", "x", "y", "--count", "0"}, "--count: must be a whole number from 1 to "},
        {{"sub", "x", "--queue", "a b"}, "--queue name"},
        {{"sub"}, "no subject"},
        {{"pub", std::string(5000, 'a'), "x"}, "5000 bytes long"},
        {{"pub", "x", "y", "--reply", std::string(2001, 'r')}, "2001 bytes long"},
        {{"sub", "x", "--queue", std::string(2001, 'q')}, "2001 bytes long"},
        {{"sub", "--stream", "S", "--start-sequence", "0"},
         "--start-sequence: must be a whole number from 1 to "},
        {{"--inbox-prefix", "my inbox", "request", "x", "y"}, "invalid inbox prefix"},
        {{"--inbox-prefix", "my.>", "sub", "x", "--match-replies"}, "invalid inbox prefix"},
        {{"reply", "svc", "--queue", "bad queue"}, "--queue name"},
    };
    for (const auto& c : cases) {
        INFO(c.args.front() << " " << c.args.back().substr(0, 40));
        auto result = offline(natty, c.args);
        CHECK(result.exit_code == 2);
        CHECK_THAT(result.err, Catch::Contains(c.needle));
        CHECK_THAT(result.err, !Catch::Contains("connect"));
    }
}
