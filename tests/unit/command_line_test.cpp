#include <natty/error.hpp>
#include <natty/util/command_line.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using Words = std::vector<std::string>;

namespace {

Words split(std::string_view text, bool templates = false) {
    return natty::split_command_line(text, templates, "--command");
}

// The UsageError's message for `text`, or "" when it splits.
std::string refusal(std::string_view text) {
    try {
        split(text);
    } catch (const natty::UsageError& e) {
        return e.what();
    }
    return "";
}

} // namespace

TEST_CASE("blanks separate words, and a run of them counts once") {
    CHECK(split("date -u") == Words{"date", "-u"});
    CHECK(split("  a \t b\n c  ") == Words{"a", "b", "c"});
    CHECK(split("").empty());
    CHECK(split(" \t\n").empty());
}

TEST_CASE("quotes follow POSIX: single literal, double with four escapes, joined into one word") {
    CHECK(split("'a'\"b\"c") == Words{"abc"});
    CHECK(split("'a b' \"c d\"") == Words{"a b", "c d"});
    CHECK(split("'\\n \" $x `y`'") == Words{"\\n \" $x `y`"});
    CHECK(split(R"("\$ \` \" \\ \n")") == Words{R"($ ` " \ \n)"});
    CHECK(split("\"a\\\nb\"") == Words{"ab"}); // backslash-newline inside double quotes
    CHECK(split("''") == Words{""});
    CHECK(split("a '' b") == Words{"a", "", "b"});
}

TEST_CASE("an unquoted backslash takes the next character, and backslash-newline joins lines") {
    CHECK(split(R"(a\ b)") == Words{"a b"});
    CHECK(split(R"(\$HOME \| \'x)") == Words{"$HOME", "|", "'x"});
    CHECK(split("long\\\n-line") == Words{"long-line"});
}

TEST_CASE("globs and tildes reach the program as typed") {
    CHECK(split("ls *.txt ~ a?[b]") == Words{"ls", "*.txt", "~", "a?[b]"});
    CHECK(split("echo a#b") == Words{"echo", "a#b"}); // # inside a word is no comment
}

TEST_CASE("shell syntax that no shell would run is refused, naming the character") {
    for (const char* text : {"echo a | wc", "a; b", "a && b", "a > f", "a < f", "(a)", "a &"}) {
        INFO(text);
        CHECK_THAT(refusal(text), Catch::Contains("is shell syntax, and no shell runs"));
    }
    CHECK_THAT(refusal("echo #comment"), Catch::Contains("unquoted #"));
    CHECK_THAT(refusal("echo $HOME"), Catch::Contains("$ would be expanded"));
    CHECK_THAT(refusal("echo \"$HOME\""), Catch::Contains("$ would be expanded"));
    CHECK_THAT(refusal("echo `id`"), Catch::Contains("` would be expanded"));
    CHECK(refusal("echo '$HOME | x'").empty());
}

TEST_CASE("unterminated quotes and a trailing backslash are refused") {
    CHECK_THAT(refusal("echo 'abc"), Catch::Contains("unterminated ' (single quote)"));
    CHECK_THAT(refusal("echo \"abc"), Catch::Contains("unterminated \" (double quote)"));
    CHECK_THAT(refusal("echo abc\\"), Catch::Contains("ends with a backslash"));
    CHECK_THAT(refusal("echo 'abc"), Catch::StartsWith("--command \"echo 'abc\""));
}

TEST_CASE("with templates, a {{...}} action stays whole so each word renders on its own") {
    CHECK(split("seq {{Random 1 10}}", true) == Words{"seq", "{{Random 1 10}}"});
    CHECK(split("echo pre{{Request}}post '{{1}} x'", true)
          == Words{"echo", "pre{{Request}}post", "{{1}} x"});
    CHECK(split("echo \"a {{Random 1 2}} b\"", true) == Words{"echo", "a {{Random 1 2}} b"});
    // Without templates the braces are plain text and split like any other.
    CHECK(split("seq {{Random 1 10}}", false) == Words{"seq", "{{Random", "1", "10}}"});
    // An unclosed action is left to the template compiler.
    CHECK(split("echo {{Random 1", true) == Words{"echo", "{{Random", "1"});
}
