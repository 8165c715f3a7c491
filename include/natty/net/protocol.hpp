#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

// The few NATS protocol lines natty reads from a server itself, in the probe (nats.c parses
// everything on a real connection): the INFO greeting and a -ERR answering CONNECT.

namespace natty::net {

// The longest protocol line natty reads from a server (INFO, then PONG or -ERR): a peer that
// sends more without a CRLF is not a NATS server, and must not grow natty's memory.
inline constexpr std::size_t k_max_protocol_line = 65536;

// The JSON of a server's first line, "INFO {...}" without its CRLF; nullopt when the line is
// not an INFO.
std::optional<std::string> info_json(std::string_view line);

// Whether the INFO JSON sets `key` (e.g. "tls_required") to true; anything else (missing, not
// a boolean, not JSON) is false. Never throws.
bool info_flag(std::string_view json, std::string_view key);

// Whether `line` is a -ERR, and its reason without the quotes the server puts around it:
// "-ERR 'Authorization Violation'" gives "Authorization Violation".
bool is_err_line(std::string_view line);
std::string err_reason(std::string_view line);

} // namespace natty::net
