#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace natty {

// nats.c 3.4 sends whatever subject it is given ("foo bar" becomes subject "foo" with reply
// "bar", a CR/LF injects a second protocol line), so natty validates every subject itself.
// Each *_problem function returns why the input is invalid, or nullopt when it is fine.

// The longest subject or queue name natty sends. nats-server reads at most max_control_line
// (4096 bytes by default) per protocol line and closes the connection on a longer one (nats.c
// reports that only as "Connection Closed"); two names of this size, e.g. a subject and its
// reply subject, still fit in one line with their sizes.
inline constexpr std::size_t k_max_subject_bytes = 2000;

// A literal subject to publish to: non-empty tokens, no whitespace or control characters,
// no wildcards, at most k_max_subject_bytes.
std::optional<std::string> publish_subject_problem(std::string_view subject);

// A subject to subscribe to: as publish, but `*` may be a whole token and `>` the last token.
std::optional<std::string> subscribe_subject_problem(std::string_view subject);

// The start of subjects natty builds (an inbox or JetStream API prefix): a publish subject,
// a trailing '.' allowed.
std::optional<std::string> subject_prefix_problem(std::string_view prefix);

// One token of a subject (a JetStream domain): a publish subject without '.'.
std::optional<std::string> subject_token_problem(std::string_view token);

// The longest stream or consumer name natty sends (nats-server's limit for names that become
// file names).
inline constexpr std::size_t k_max_jetstream_name_bytes = 255;

// A JetStream stream or consumer name: non-empty, no whitespace, control characters, '.',
// '*', '>', '/', '\\' or '"' (it becomes a subject token, a JSON string and a directory name).
std::optional<std::string> jetstream_name_problem(std::string_view name);

// Text nats.c pastes into JSON without escaping it (e.g. a consumer's filter subject): no '"',
// '\\' or control characters.
std::optional<std::string> json_pasted_problem(std::string_view text);

// A queue group name: non-empty, no whitespace or control characters, at most
// k_max_subject_bytes.
std::optional<std::string> queue_name_problem(std::string_view queue);

// A header key: printable ASCII without ':' or whitespace.
std::optional<std::string> header_key_problem(std::string_view key);

// A header value: no CR, LF or other control characters except TAB.
std::optional<std::string> header_value_problem(std::string_view value);

// Throwing forms: UsageError("invalid <what> \"<input>\": <problem>") with a hint.
void require_publish_subject(std::string_view subject, std::string_view what);
void require_subscribe_subject(std::string_view subject, std::string_view what);
void require_queue_name(std::string_view queue, std::string_view what);

// A header given on the command line as "Key:Value" (split on the first ':', both sides
// trimmed); throws UsageError naming the flag for a missing colon or an invalid key.
// The value is returned unvalidated because it may still be a template.
std::pair<std::string, std::string> parse_header_flag(std::string_view text, std::string_view flag);

// Whether a literal subject is matched by a subscription pattern with `*` and `>` wildcards.
bool subject_matches(std::string_view pattern, std::string_view subject);

// Splits a subject on '.', keeping empty tokens.
std::vector<std::string_view> subject_tokens(std::string_view subject);

} // namespace natty
