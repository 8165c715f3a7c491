#include <natty/util/printable.hpp>
#include <natty/util/utf8.hpp>

#include <cstdint>
#include <cstdio>

namespace natty {
namespace {

constexpr std::string_view k_replacement = "\xEF\xBF\xBD"; // U+FFFD

void append_escape(std::string& out, unsigned code) {
    switch (code) {
    case '\n': out += "\\n"; return;
    case '\r': out += "\\r"; return;
    case '\t': out += "\\t"; return;
    default: break;
    }
    char buf[8];
    std::snprintf(buf, sizeof buf, code < 0x80 ? "\\x%02x" : "\\u%04x", code);
    out += buf;
}

} // namespace

std::string printable(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    while (!text.empty()) {
        const std::size_t length = utf8_sequence_length(text);
        if (length == 0) {
            out += k_replacement;
            text.remove_prefix(1);
            continue;
        }
        const auto lead = static_cast<std::uint8_t>(text[0]);
        if (length == 1 && (lead < 0x20 || lead == 0x7F)) {
            append_escape(out, lead);
        } else if (length == 2 && lead == 0xC2 && static_cast<std::uint8_t>(text[1]) < 0xA0) {
            append_escape(out, static_cast<std::uint8_t>(text[1])); // C1: U+0080-U+009F
        } else {
            out.append(text.substr(0, length));
        }
        text.remove_prefix(length);
    }
    return out;
}

} // namespace natty
