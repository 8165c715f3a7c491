#pragma once

// Shared by the libFuzzer targets: property checks that abort with a message (libFuzzer then
// saves the input), and a strict UTF-8 decoder written independently of natty's own.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace natty::fuzz {

// The fuzzer's bytes as text.
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// A property that must hold for every input: a violation is a finding, like a crash.
inline void require(bool holds, const char* property) {
    if (!holds) {
        std::fprintf(stderr, "natty fuzz: property violated: %s\n", property);
        std::abort();
    }
}

// The code points of `text`, or nullopt when it is not valid UTF-8 (RFC 3629: shortest form,
// no surrogates, nothing above U+10FFFF).
inline std::optional<std::vector<char32_t>> decode_utf8(std::string_view text) {
    std::vector<char32_t> out;
    std::size_t i = 0;
    while (i < text.size()) {
        const auto lead = static_cast<std::uint8_t>(text[i]);
        std::size_t extra = 0;
        char32_t code = 0;
        char32_t min = 0;
        if (lead < 0x80) {
            code = lead;
        } else if (lead >= 0xC0 && lead < 0xE0) {
            extra = 1, code = lead & 0x1Fu, min = 0x80;
        } else if (lead >= 0xE0 && lead < 0xF0) {
            extra = 2, code = lead & 0x0Fu, min = 0x800;
        } else if (lead >= 0xF0 && lead < 0xF8) {
            extra = 3, code = lead & 0x07u, min = 0x10000;
        } else {
            return std::nullopt;
        }
        if (text.size() - i - 1 < extra) {
            return std::nullopt;
        }
        for (std::size_t k = 1; k <= extra; ++k) {
            const auto next = static_cast<std::uint8_t>(text[i + k]);
            if ((next & 0xC0u) != 0x80u) {
                return std::nullopt;
            }
            code = (code << 6) | (next & 0x3Fu);
        }
        if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
            return std::nullopt;
        }
        out.push_back(code);
        i += extra + 1;
    }
    return out;
}

inline bool is_valid_utf8(std::string_view text) {
    return decode_utf8(text).has_value();
}

// C0 controls, DEL and C1 controls: what must never reach a terminal raw.
inline bool is_control(char32_t code) {
    return code < 0x20 || (code >= 0x7F && code <= 0x9F);
}

// Splits on `separator`, keeping empty parts.
inline std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (true) {
        const std::size_t end = text.find(separator, start);
        if (end == std::string_view::npos) {
            parts.push_back(text.substr(start));
            return parts;
        }
        parts.push_back(text.substr(start, end - start));
        start = end + 1;
    }
}

} // namespace natty::fuzz
