#pragma once

#include <string>
#include <string_view>

namespace natty {

// Appends `text` as the contents of a JSON string (no surrounding quotes): `"` and `\` are
// backslash-escaped, \n \r \t as such and other control characters (below 0x20) as \u00XX,
// as Go's encoding/json writes them; valid UTF-8 passes through unchanged. Each byte that is
// not part of a valid UTF-8 sequence becomes U+FFFD, the replacement Go's JSON decoder
// (nats-server) would make anyway, so the output is always valid JSON text. natty's one JSON
// string escaper for JSON built by hand (CONNECT strings, sub --json's per-message records).
void append_json_escaped(std::string& out, std::string_view text);

// The same inside quotes: a complete JSON string literal.
void append_json_string(std::string& out, std::string_view text);

// As append_json_escaped, into a new string.
std::string json_escaped(std::string_view text);

} // namespace natty
