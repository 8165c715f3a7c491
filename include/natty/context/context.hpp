#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace natty {

// One named set of connection settings, as stored in <config>/natty/context/<name>.toml.
struct ContextData {
    std::string description;
    std::string url;
    std::string user;
    std::string password;
    std::string token;
    std::string creds;
    std::string nkey;
    std::string cert;
    std::string key;
    std::string ca;
    std::string inbox_prefix;
    std::string jetstream_domain;
    std::string jetstream_api_prefix;

    bool operator==(const ContextData&) const = default;
};

// Describes one ContextData member: its TOML key, how it is shown, the global flag and env var
// that override it. The table drives parsing, merging, display and import in one place.
struct ContextField {
    std::string_view key;   // TOML key and JSON field name
    std::string_view label; // human label in `context info`
    std::string_view flag;  // global flag that sets it ("" if none)
    std::string_view env;   // NATS_* variable that sets it ("" if none)
    bool secret;            // never printed unless asked for
    bool path;              // a file path: ~ and $VAR are expanded on use
    std::string ContextData::*member;
};

std::span<const ContextField> context_fields();
const ContextField* find_context_field(std::string_view key);

// Serialises to TOML in table order, skipping empty fields.
std::string to_toml(const ContextData& data);

// Parses TOML text. Errors name the file, line and column but never echo the file's content.
// Unknown keys and non-string values are errors too, with their position. Text nesting arrays,
// tables or dotted keys more than 64 levels deep is refused before toml11, which recurses per
// level, sees it, and so is text that is not valid UTF-8. Every failure is a ConfigError
// (exit 3).
ContextData parse_context_toml(std::string_view text, const std::string& filename);

// Validates a context name: 1-64 characters of [A-Za-z0-9_.-], no leading dot, no "..".
// Throws UsageError.
void validate_context_name(std::string_view name);

// Overwrites every field of `into` for which `from` has a non-empty value.
void merge_context(ContextData& into, const ContextData& from);

} // namespace natty

namespace natty {

class Environment;

// Problems that would stop a context from being used: a bad URL, missing or unreadable files,
// a certificate without its key, more than one kind of credentials. Empty when usable.
std::vector<std::string> check_context(const ContextData& data, const Environment& env);

} // namespace natty
