#include <natty/commands/kv.hpp>
#include <natty/error.hpp>
#include <natty/output/output.hpp>

#include <catch2/catch.hpp>

using natty::kv_bucket_problem;
using natty::kv_filter_problem;
using natty::kv_key_problem;
using natty::parse_size;
using natty::render_value_inline;

TEST_CASE("kv keys follow ADR-8 and reject what Go clients would reject") {
    for (const char* ok : {"a", "users.42", "a-b_c/d=e", "A.B.C", "x.y.z.0"}) {
        INFO(ok);
        CHECK(kv_key_problem(ok).empty());
    }
    for (const char* bad : {"",
                            ".a",
                            "a.",
                            "foo..bar",
                            "a b",
                            "*",
                            ">",
                            "a.*",
                            "back\\slash",
                            "caf\xc3\xa9",
                            "a\tb"}) {
        INFO(bad);
        CHECK_FALSE(kv_key_problem(bad).empty());
    }
    CHECK_THAT(kv_key_problem("back\\slash"), Catch::Contains("'\\'"));
    CHECK_THAT(kv_key_problem("foo..bar"), Catch::Contains("empty token"));
    CHECK_THAT(kv_key_problem("a b"), Catch::Contains("a space"));
}

TEST_CASE("kv key filters allow * tokens and a final >") {
    for (const char* ok : {">", "users.*", "users.>", "*.x.*", "plain"}) {
        INFO(ok);
        CHECK(kv_filter_problem(ok).empty());
    }
    for (const char* bad : {"", "foo..bar", "a.>.b", "us*rs", "a.", "a\\b"}) {
        INFO(bad);
        CHECK_FALSE(kv_filter_problem(bad).empty());
    }
}

TEST_CASE("kv bucket names are letters, digits, dash and underscore") {
    CHECK(kv_bucket_problem("Game_state-1").empty());
    CHECK_FALSE(kv_bucket_problem("").empty());
    CHECK_FALSE(kv_bucket_problem("bad.name").empty());
    CHECK_FALSE(kv_bucket_problem("a b").empty());
    CHECK_FALSE(kv_bucket_problem("a>").empty());
}

TEST_CASE("kv sizes accept bytes and K/M/G/T units as powers of 1024") {
    CHECK(parse_size("1024", "--x") == 1024);
    CHECK(parse_size("1KB", "--x") == 1024);
    CHECK(parse_size("1k", "--x") == 1024);
    CHECK(parse_size("1MB", "--x") == 1048576);
    CHECK(parse_size("1MiB", "--x") == 1048576);
    CHECK(parse_size("1GiB", "--x") == 1073741824);
    CHECK(parse_size("1.5G", "--x") == 1610612736);
    CHECK(parse_size("2 MB", "--x") == 2097152);
    CHECK(parse_size("100B", "--x") == 100);
    CHECK(parse_size("-1", "--x") == -1);
    CHECK(parse_size("unlimited", "--x") == -1);
    for (const char* bad : {"", "MB", "1XB", "abc", "1.2.3", "-5", "1e3"}) {
        INFO(bad);
        CHECK_THROWS_AS(parse_size(bad, "--max-value-size"), natty::UsageError);
    }
    CHECK_THROWS_WITH(parse_size("12parsecs", "--max-bucket-size"),
                      Catch::Contains("--max-bucket-size") && Catch::Contains("12parsecs"));
}

TEST_CASE("sizes render with binary units") {
    CHECK(natty::output::human_bytes(0) == "0 B");
    CHECK(natty::output::human_bytes(1023) == "1023 B");
    CHECK(natty::output::human_bytes(1024) == "1.0 KiB");
    CHECK(natty::output::human_bytes(1536) == "1.5 KiB");
    CHECK(natty::output::human_bytes(1073741824) == "1.0 GiB");
}

TEST_CASE("kv values render safely on one line") {
    CHECK(render_value_inline("hello", 0) == "hello");
    CHECK(render_value_inline("", 0).empty());
    CHECK(render_value_inline("caf\xc3\xa9", 0) == "caf\xc3\xa9");
    CHECK(render_value_inline(std::string("\x00\x01\xff", 3), 0) == "base64:AAH/");
    CHECK(render_value_inline("two\nlines", 0) == "base64:dHdvCmxpbmVz");
    CHECK(render_value_inline("\x1b[31mred", 0).rfind("base64:", 0) == 0);
    CHECK(render_value_inline("abcdefghij", 8) == "abcde...");
    // A cut never splits a multi-byte character.
    CHECK(render_value_inline("a\xc3\xa9"
                              "bcd",
                              5)
          == "a...");
}

TEST_CASE("kv multi-line views show text but not control characters or invalid UTF-8") {
    CHECK(natty::is_displayable_text("line one\nline two\n\tindented"));
    CHECK(natty::is_displayable_text(""));
    CHECK_FALSE(natty::is_displayable_text(std::string("a\0b", 3)));
    CHECK_FALSE(natty::is_displayable_text("\x1b[2J"));
    CHECK_FALSE(natty::is_displayable_text("\xff\xfe"));
}
