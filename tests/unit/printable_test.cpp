#include <natty/util/printable.hpp>
#include <natty/util/utf8.hpp>

#include <catch2/catch.hpp>

using natty::invalid_utf8_offset;
using natty::printable;

TEST_CASE("printable passes plain and valid UTF-8 text through") {
    CHECK(printable("orders.new") == "orders.new");
    CHECK(printable("über 412µs ✓ 😀") == "über 412µs ✓ 😀");
    CHECK(printable("") == "");
}

TEST_CASE("printable escapes control characters, DEL and C1") {
    CHECK(printable("a\nb\rc\td") == "a\\nb\\rc\\td");
    CHECK(printable("\x1b[2J") == "\\x1b[2J");
    CHECK(printable(std::string("nul\0x", 5)) == "nul\\x00x");
    CHECK(printable("del\x7f") == "del\\x7f");
    CHECK(printable("csi\xC2\x9B" "31m") == "csi\\u009b31m");
    CHECK(printable("nbsp\xC2\xA0") == "nbsp\xC2\xA0"); // U+00A0 is printable
}

TEST_CASE("printable replaces each byte of invalid UTF-8") {
    const std::string fffd = "\xEF\xBF\xBD";
    CHECK(printable("\xff") == fffd);
    CHECK(printable("a\x80z") == "a" + fffd + "z");           // stray continuation
    CHECK(printable("\xC0\xAF") == fffd + fffd);              // overlong '/'
    CHECK(printable("\xED\xA0\x80") == fffd + fffd + fffd);   // surrogate U+D800
    CHECK(printable("\xF4\x90\x80\x80") == fffd + fffd + fffd + fffd); // beyond U+10FFFF
    CHECK(printable("\xE2\x9C") == fffd + fffd);              // truncated
}

TEST_CASE("invalid_utf8_offset finds the first byte that is not valid UTF-8") {
    CHECK(invalid_utf8_offset("") == std::string_view::npos);
    CHECK(invalid_utf8_offset("über 😀") == std::string_view::npos);
    CHECK(invalid_utf8_offset("ab\xC3") == 2);           // truncated at the end
    CHECK(invalid_utf8_offset("\xC3\xA9x\x80") == 3);   // stray continuation
    CHECK(invalid_utf8_offset("a\xED\xA0\x80") == 1);   // surrogate
}

TEST_CASE("displayable text: UTF-8 without control characters but tab, CR and LF") {
    CHECK(natty::is_displayable_text("line one\nline two\r\n\tindented, \xc3\xa9"));
    CHECK(natty::is_displayable_text(""));
    CHECK_FALSE(natty::is_displayable_text(std::string("a\0b", 3)));
    CHECK_FALSE(natty::is_displayable_text("\x1b[2J"));
    CHECK_FALSE(natty::is_displayable_text("\x7f"));
    CHECK_FALSE(natty::is_displayable_text("\xc2\x9b" "31m")); // C1 CSI, as printable() escapes
    CHECK_FALSE(natty::is_displayable_text("\xff\xfe"));
    CHECK(natty::is_valid_utf8("\xc2\x9b"));
    CHECK_FALSE(natty::is_valid_utf8("\xed\xa0\x80"));
}
