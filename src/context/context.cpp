#include <natty/context/context.hpp>
#include <natty/error.hpp>
#include <natty/util/printable.hpp>
#include <natty/util/utf8.hpp>

#include <toml.hpp>

#include <algorithm>
#include <array>
#include <optional>
#include <sstream>

namespace natty {
namespace {

constexpr std::array k_fields = {
    ContextField{"description", "Description", "--description", "", false, false,
                 &ContextData::description},
    ContextField{"url", "Server URLs", "--server", "NATS_URL", false, false, &ContextData::url},
    ContextField{"user", "Username", "--user", "NATS_USER", false, false, &ContextData::user},
    ContextField{"password", "Password", "--password", "NATS_PASSWORD", true, false,
                 &ContextData::password},
    ContextField{"token", "Token", "--token", "NATS_TOKEN", true, false, &ContextData::token},
    ContextField{"creds", "Credentials", "--creds", "NATS_CREDS", false, true,
                 &ContextData::creds},
    ContextField{"nkey", "NKey", "--nkey", "NATS_NKEY", false, true, &ContextData::nkey},
    ContextField{"cert", "Certificate", "--tlscert", "NATS_CERT", false, true, &ContextData::cert},
    ContextField{"key", "Key", "--tlskey", "NATS_KEY", false, true, &ContextData::key},
    ContextField{"ca", "CA", "--tlsca", "NATS_CA", false, true, &ContextData::ca},
    ContextField{"inbox_prefix", "Inbox Prefix", "--inbox-prefix", "", false, false,
                 &ContextData::inbox_prefix},
    ContextField{"jetstream_domain", "JS Domain", "--js-domain", "", false, false,
                 &ContextData::jetstream_domain},
    ContextField{"jetstream_api_prefix", "JS API Prefix", "--js-api-prefix", "", false, false,
                 &ContextData::jetstream_api_prefix},
};

// TOML basic-string escaping: quotes, backslashes and control characters.
std::string quote(std::string_view value) {
    std::string out = "\"";
    for (char ch : value) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20 || c == 0x7f) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(c));
                out += buf;
            } else {
                out += ch;
            }
        }
    }
    return out + "\"";
}

// toml11 messages look like "[error] toml::parse_xxx: reason\n --> file\n 3 | <line text>".
// Only the reason is kept: the quoted line may hold a password.
std::string first_line_reason(const std::string& what) {
    std::string line = what.substr(0, what.find('\n'));
    if (line.rfind("[error] ", 0) == 0) {
        line.erase(0, 8);
    }
    const auto colon = line.find(": ");
    if (line.rfind("toml::", 0) == 0 && colon != std::string::npos) {
        line.erase(0, colon + 2);
    }
    return line;
}

// A context file is flat; toml11 recurses once per nesting level and per dotted-key part, so a
// hostile file could exhaust the stack long before the 1 MiB read limit.
constexpr int k_max_nesting = 64;

// Where `text` nests deeper than k_max_nesting: open `[`/`{` levels, or dots in one key. Strings
// (basic, literal, multi-line) and comments are skipped; the parser judges everything else.
class NestingScanner {
public:
    explicit NestingScanner(std::string_view text) : m_text(text) {}

    // The 0-based offset of the first character past the limit, if any.
    std::optional<std::size_t> find_too_deep() {
        while (m_pos < m_text.size()) {
            const char c = m_text[m_pos];
            if (c == '"' || c == '\'') {
                skip_string(c);
                continue;
            }
            if (c == '#') {
                skip_to_newline();
                continue;
            }
            if (c == '[' || c == '{') {
                m_dots = 0;
                if (++m_depth > k_max_nesting) {
                    return m_pos;
                }
            } else if (c == ']' || c == '}') {
                m_depth = m_depth > 0 ? m_depth - 1 : 0;
            } else if (c == '.') {
                if (++m_dots > k_max_nesting) {
                    return m_pos;
                }
            } else if (c == '=' || c == ',' || c == '\n') {
                m_dots = 0;
            }
            ++m_pos;
        }
        return std::nullopt;
    }

private:
    bool at(std::string_view token) const { return m_text.substr(m_pos, token.size()) == token; }

    void skip_to_newline() {
        while (m_pos < m_text.size() && m_text[m_pos] != '\n') {
            ++m_pos;
        }
    }

    // From an opening quote to past its closing delimiter; basic strings honour `\` escapes.
    void skip_string(char quote_char) {
        const std::string triple(3, quote_char);
        const bool multi_line = at(triple);
        const bool escapes = quote_char == '"';
        m_pos += multi_line ? 3 : 1;
        while (m_pos < m_text.size()) {
            const char c = m_text[m_pos];
            if (escapes && c == '\\') {
                m_pos += 2;
            } else if (multi_line && at(triple)) {
                m_pos += 3;
                // Up to two quotes may end the content right before the closing delimiter.
                for (int i = 0; i < 2 && m_pos < m_text.size() && m_text[m_pos] == quote_char;
                     ++i) {
                    ++m_pos;
                }
                return;
            } else if (!multi_line && (c == quote_char || c == '\n')) {
                m_pos += c == quote_char ? 1 : 0;
                return;
            } else {
                ++m_pos;
            }
        }
    }

    std::string_view m_text;
    std::size_t m_pos = 0;
    int m_depth = 0;
    int m_dots = 0;
};

// Throws the ConfigError for a file that toml11 must not see, naming the line and column of
// `offset` and why.
[[noreturn]] void refuse_at(std::string_view text,
                            std::size_t offset,
                            const std::string& filename,
                            const std::string& why) {
    const std::string_view before = text.substr(0, offset);
    const auto line = std::count(before.begin(), before.end(), '\n') + 1;
    const auto line_start = before.rfind('\n');
    const auto column = offset - (line_start == std::string_view::npos ? 0 : line_start + 1) + 1;
    throw ConfigError(filename + ":" + std::to_string(line) + ":" + std::to_string(column) + ": "
                          + why,
                      "fix the file with `natty context edit` or remove it with "
                      "`natty context rm`");
}

// Refuses text toml11 would mishandle: nesting deeper than k_max_nesting, and invalid UTF-8,
// which TOML does not allow and on which toml11 3.7 reads past the end of its buffer (a
// truncated multi-byte character at the end of a string).
void check_before_parsing(std::string_view text, const std::string& filename) {
    if (const auto bad = invalid_utf8_offset(text); bad != std::string_view::npos) {
        refuse_at(text, bad, filename, "not valid UTF-8, not a context file");
    }
    if (const auto offset = NestingScanner(text).find_too_deep()) {
        refuse_at(text,
                  *offset,
                  filename,
                  "nested deeper than " + std::to_string(k_max_nesting)
                      + " levels, not a context file");
    }
}

} // namespace

std::span<const ContextField> context_fields() { return k_fields; }

const ContextField* find_context_field(std::string_view key) {
    for (const auto& field : k_fields) {
        if (field.key == key) {
            return &field;
        }
    }
    return nullptr;
}

std::string to_toml(const ContextData& data) {
    std::string out = "# natty connection context, see natty-context(1)\n";
    for (const auto& field : k_fields) {
        const std::string& value = data.*field.member;
        if (!value.empty()) {
            out += std::string(field.key) + " = " + quote(value) + "\n";
        }
    }
    return out;
}

ContextData parse_context_toml(std::string_view text, const std::string& filename) {
    check_before_parsing(text, filename);
    toml::value root;
    try {
        std::istringstream stream{std::string(text)};
        root = toml::parse(stream, filename);
    } catch (const toml::exception& e) {
        const auto& loc = e.location();
        throw ConfigError(filename + ":" + std::to_string(loc.line()) + ":" +
                              std::to_string(loc.column()) + ": " + first_line_reason(e.what()),
                          "fix the file with `natty context edit` or remove it with "
                          "`natty context rm`");
    } catch (const std::exception& e) {
        throw ConfigError(filename + ": " + first_line_reason(e.what()));
    }
    ContextData data;
    if (!root.is_table()) {
        throw ConfigError(filename + ": not a TOML table");
    }
    for (const auto& [key, value] : root.as_table()) {
        const ContextField* field = find_context_field(key);
        const auto& loc = value.location();
        const std::string where =
            filename + ":" + std::to_string(loc.line()) + ":" + std::to_string(loc.column());
        if (field == nullptr) {
            throw ConfigError(where + ": unknown key \"" + key + "\"",
                              "known keys: description, url, user, password, token, creds, nkey, "
                              "cert, key, ca, inbox_prefix, jetstream_domain, "
                              "jetstream_api_prefix");
        }
        if (!value.is_string()) {
            throw ConfigError(where + ": \"" + key + "\" must be a string");
        }
        data.*field->member = value.as_string().str;
    }
    return data;
}

void validate_context_name(std::string_view name) {
    auto bad = [&](const std::string& why) {
        throw UsageError("invalid context name \"" + std::string(name) + "\": " + why,
                         "use 1-64 letters, digits, '_', '-' or '.', not starting with '.'");
    };
    if (name.empty()) {
        bad("it is empty");
    }
    if (name.size() > 64) {
        bad("it is longer than 64 characters");
    }
    if (name.front() == '.') {
        bad("it starts with '.'");
    }
    if (name.find("..") != std::string_view::npos) {
        bad("it contains \"..\"");
    }
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
        if (!ok) {
            bad("it contains a character other than letters, digits, '_', '-' and '.'");
        }
    }
}

void merge_context(ContextData& into, const ContextData& from) {
    for (const auto& field : k_fields) {
        if (!(from.*field.member).empty()) {
            into.*field.member = from.*field.member;
        }
    }
}

} // namespace natty

#include <natty/util/environment.hpp>
#include <natty/util/url.hpp>

#include <unistd.h>

namespace natty {

std::vector<std::string> check_context(const ContextData& data, const Environment& env) {
    std::vector<std::string> problems;
    if (!data.url.empty()) {
        try {
            parse_server_list(data.url);
        } catch (const Error& e) {
            problems.emplace_back(e.what());
        }
    }
    for (const auto& field : context_fields()) {
        const std::string& value = data.*field.member;
        if (field.path && !value.empty()) {
            const std::string path = expand_path(value, env);
            if (::access(path.c_str(), R_OK) != 0) {
                problems.push_back(std::string(field.key) + ": cannot read " + path);
            }
        }
    }
    if (data.cert.empty() != data.key.empty()) {
        problems.emplace_back("cert and key must be set together");
    }
    const int kinds = (data.user.empty() ? 0 : 1) + (data.creds.empty() ? 0 : 1) +
                      (data.nkey.empty() ? 0 : 1);
    if (kinds > 1) {
        problems.emplace_back("more than one kind of credentials: choose one of user, creds, nkey");
    }
    return problems;
}

} // namespace natty
