#pragma once

#include <cstddef>
#include <string_view>

namespace natty {

// natty's one UTF-8 decoder (RFC 3629: no overlong forms, no surrogates, nothing above
// U+10FFFF). printable(), the JSON escaper and every "is this text?" decision build on it.

// The length (1-4) of the valid UTF-8 sequence at the start of `text`, or 0 when it starts with
// an invalid or truncated one (or `text` is empty).
std::size_t utf8_sequence_length(std::string_view text);

// The offset of the first byte of `text` that is not part of valid UTF-8, or
// std::string_view::npos when it is all valid.
std::size_t invalid_utf8_offset(std::string_view text);

inline bool is_valid_utf8(std::string_view text) {
    return invalid_utf8_offset(text) == std::string_view::npos;
}

// Text a terminal shows as it is: valid UTF-8 without control characters (C0 but tab, CR and
// LF; DEL; C1). A message body that is not is shown as binary (or escaped).
bool is_displayable_text(std::string_view text);

} // namespace natty
