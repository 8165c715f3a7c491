#include <natty/util/json_escape.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace natty;

namespace {

// What a JSON parser reads back from `text` escaped and put between quotes.
std::string round_trip(std::string_view text) {
    return nlohmann::json::parse("\"" + json_escaped(text) + "\"").get<std::string>();
}

} // namespace

TEST_CASE("json_escaped escapes quotes, backslashes and control characters only", "[json]") {
    CHECK(json_escaped("") == "");
    CHECK(json_escaped("plain text, with: @ / ' {}") == "plain text, with: @ / ' {}");
    CHECK(json_escaped("a\"b") == "a\\\"b");
    CHECK(json_escaped("a\\b") == "a\\\\b");
    CHECK(json_escaped("\t\n\r") == "\\t\\n\\r");
    CHECK(json_escaped(std::string_view("\x01\x1f\x00", 3)) == "\\u0001\\u001f\\u0000");
    CHECK(json_escaped("\x7f") == "\x7f");
}

TEST_CASE("json_escaped passes valid UTF-8 through unchanged", "[json]") {
    const std::string text = "\xc3\xbc \xe2\x82\xac \xf0\x9f\x98\x80 \xed\x9f\xbf \xf4\x8f\xbf\xbf";
    CHECK(json_escaped(text) == text);
}

TEST_CASE("json_escaped replaces each byte of invalid UTF-8 with U+FFFD", "[json]") {
    const std::string fffd = "\xef\xbf\xbd";
    CHECK(json_escaped("a\xff" "b") == "a" + fffd + "b");
    CHECK(json_escaped("\xc3") == fffd);                  // truncated sequence
    CHECK(json_escaped("\xc3(") == fffd + "(");           // bad continuation byte
    CHECK(json_escaped("\xc0\xaf") == fffd + fffd);       // overlong
    CHECK(json_escaped("\xed\xa0\x80") == fffd + fffd + fffd); // surrogate
    CHECK(json_escaped("\xf4\x90\x80\x80") == fffd + fffd + fffd + fffd); // above U+10FFFF
    CHECK(json_escaped("\xe2\x82\"") == fffd + fffd + "\\\"");
}

TEST_CASE("json_escaped output parses back to the input", "[json]") {
    for (const std::string text : {"pa\"ss", "back\\slash\\", "tab\tand\x01", "\xc3\xbc\"\\\x1f",
                                   "\\u0041 stays text"}) {
        CHECK(round_trip(text) == text);
    }
}

TEST_CASE("append_json_escaped appends to what is there", "[json]") {
    std::string out = "{\"k\":\"";
    append_json_escaped(out, "v\"");
    CHECK(out == "{\"k\":\"v\\\"");
}
