#include <natty/util/utf8.hpp>

#include <cstdint>

namespace natty {

std::size_t utf8_sequence_length(std::string_view text) {
    if (text.empty()) {
        return 0;
    }
    const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(text[i]); };
    const std::uint8_t lead = byte(0);
    if (lead < 0x80) {
        return 1;
    }
    std::size_t length = 0;
    std::uint8_t low = 0x80; // the range the second byte must fall in
    std::uint8_t high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        low = lead == 0xE0 ? 0xA0 : 0x80;  // no overlong forms
        high = lead == 0xED ? 0x9F : 0xBF; // no surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        low = lead == 0xF0 ? 0x90 : 0x80;  // no overlong forms
        high = lead == 0xF4 ? 0x8F : 0xBF; // nothing above U+10FFFF
    } else {
        return 0;
    }
    if (text.size() < length || byte(1) < low || byte(1) > high) {
        return 0;
    }
    for (std::size_t i = 2; i < length; ++i) {
        if (byte(i) < 0x80 || byte(i) > 0xBF) {
            return 0;
        }
    }
    return length;
}

std::size_t invalid_utf8_offset(std::string_view text) {
    std::size_t offset = 0;
    while (offset < text.size()) {
        if (static_cast<std::uint8_t>(text[offset]) < 0x80) { // the common case, undecoded
            ++offset;
            continue;
        }
        const std::size_t length = utf8_sequence_length(text.substr(offset));
        if (length == 0) {
            return offset;
        }
        offset += length;
    }
    return std::string_view::npos;
}

bool is_displayable_text(std::string_view text) {
    std::size_t offset = 0;
    while (offset < text.size()) {
        const auto lead = static_cast<std::uint8_t>(text[offset]);
        if (lead < 0x80) {
            if ((lead < 0x20 && lead != '\t' && lead != '\n' && lead != '\r') || lead == 0x7F) {
                return false;
            }
            ++offset;
            continue;
        }
        const std::size_t length = utf8_sequence_length(text.substr(offset));
        if (length == 0
            || (length == 2 && lead == 0xC2
                && static_cast<std::uint8_t>(text[offset + 1]) < 0xA0)) {
            return false; // invalid, or a C1 control (U+0080-U+009F)
        }
        offset += length;
    }
    return true;
}

} // namespace natty
