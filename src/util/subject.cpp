#include <natty/error.hpp>
#include <natty/util/printable.hpp>
#include <natty/util/subject.hpp>

namespace natty {
namespace {

// Describes a character for error messages, e.g. "a space", "a line feed (LF)".
std::string describe_char(char c) {
    switch (c) {
    case ' ':
        return "a space";
    case '\t':
        return "a tab";
    case '\r':
        return "a carriage return (CR)";
    case '\n':
        return "a line feed (LF)";
    default:
        break;
    }
    const auto byte = static_cast<unsigned char>(c);
    static constexpr char k_hex[] = "0123456789abcdef";
    return std::string("a control character (0x") + k_hex[byte >> 4] + k_hex[byte & 15] + ")";
}

bool is_space_or_control(char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte <= 0x20 || byte == 0x7f;
}

// "5000 bytes long ..." for names over k_max_subject_bytes, else nullopt.
std::optional<std::string> length_problem(std::string_view name) {
    if (name.size() <= k_max_subject_bytes) {
        return std::nullopt;
    }
    return "it is " + std::to_string(name.size()) + " bytes long; the limit is "
           + std::to_string(k_max_subject_bytes)
           + " (nats-server drops a client that sends a protocol line over 4096 bytes)";
}

std::optional<std::string> subject_problem(std::string_view subject, bool wildcards) {
    if (subject.empty()) {
        return "it is empty";
    }
    if (auto why = length_problem(subject)) {
        return why;
    }
    for (char c : subject) {
        if (is_space_or_control(c)) {
            return "it contains " + describe_char(c);
        }
    }
    const auto tokens = subject_tokens(subject);
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        const std::string_view token = tokens[i];
        if (token.empty()) {
            return i == 0                   ? std::string("it starts with '.'")
                   : i + 1 == tokens.size() ? std::string("it ends with '.'")
                                            : std::string("it has an empty token ('..')");
        }
        const bool has_star = token.find('*') != std::string_view::npos;
        const bool has_gt = token.find('>') != std::string_view::npos;
        if (!wildcards && (has_star || has_gt)) {
            return std::string("wildcards ('*', '>') cannot be published to");
        }
        if (has_star && token != "*") {
            return "'*' must be a whole token, not part of \"" + std::string(token) + "\"";
        }
        if (has_gt && token != ">") {
            return "'>' must be a whole token, not part of \"" + std::string(token) + "\"";
        }
        if (token == ">" && i + 1 != tokens.size()) {
            return std::string("'>' is only allowed as the last token");
        }
    }
    return std::nullopt;
}

// Strips a header's optional whitespace (spaces and tabs, as HTTP does); url.cpp's trim()
// strips any whitespace from a URL list.
std::string_view trim_ows(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    return text;
}


// Inputs longer than this are shortened in error messages, which stay one readable line.
constexpr std::size_t k_shown_input_bytes = 60;

[[noreturn]] void
refuse(std::string_view what, std::string_view input, const std::string& why, std::string hint) {
    const std::string shown = input.size() > k_shown_input_bytes
                                  ? printable(input.substr(0, k_shown_input_bytes)) + "..."
                                  : printable(input);
    throw UsageError("invalid " + std::string(what) + " \"" + shown + "\": " + why,
                     std::move(hint));
}

} // namespace

std::vector<std::string_view> subject_tokens(std::string_view subject) {
    std::vector<std::string_view> tokens;
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = subject.find('.', start);
        if (dot == std::string_view::npos) {
            tokens.push_back(subject.substr(start));
            return tokens;
        }
        tokens.push_back(subject.substr(start, dot - start));
        start = dot + 1;
    }
}

std::optional<std::string> publish_subject_problem(std::string_view subject) {
    return subject_problem(subject, false);
}

std::optional<std::string> subscribe_subject_problem(std::string_view subject) {
    return subject_problem(subject, true);
}

std::optional<std::string> subject_prefix_problem(std::string_view prefix) {
    if (!prefix.empty() && prefix.back() == '.') {
        prefix.remove_suffix(1); // one trailing dot; "a.." would make an empty token
    }
    return publish_subject_problem(prefix);
}

std::optional<std::string> subject_token_problem(std::string_view token) {
    if (token.find('.') != std::string_view::npos) {
        return std::string("it contains '.'");
    }
    return publish_subject_problem(token);
}

std::optional<std::string> jetstream_name_problem(std::string_view name) {
    if (name.empty()) {
        return std::string("it is empty");
    }
    if (name.size() > k_max_jetstream_name_bytes) {
        return "it is longer than " + std::to_string(k_max_jetstream_name_bytes) + " bytes";
    }
    for (char c : name) {
        if (is_space_or_control(c) || c == '.' || c == '*' || c == '>' || c == '/' || c == '\\'
            || c == '"') {
            return "it contains " + describe_char(c);
        }
    }
    return std::nullopt;
}

std::optional<std::string> json_pasted_problem(std::string_view text) {
    for (char c : text) {
        if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
            return "it contains " + describe_char(c);
        }
    }
    return std::nullopt;
}

std::optional<std::string> queue_name_problem(std::string_view queue) {
    if (queue.empty()) {
        return "it is empty";
    }
    if (auto why = length_problem(queue)) {
        return why;
    }
    for (char c : queue) {
        if (is_space_or_control(c)) {
            return "it contains " + describe_char(c);
        }
    }
    return std::nullopt;
}

std::optional<std::string> header_key_problem(std::string_view key) {
    if (key.empty()) {
        return "the key is empty";
    }
    for (char c : key) {
        if (is_space_or_control(c) || static_cast<unsigned char>(c) > 0x7e) {
            return "the key contains "
                   + (static_cast<unsigned char>(c) > 0x7e ? std::string("a non-ASCII byte")
                                                           : describe_char(c));
        }
        if (c == ':') {
            return "the key contains ':'";
        }
    }
    return std::nullopt;
}

std::optional<std::string> header_value_problem(std::string_view value) {
    for (char c : value) {
        const auto byte = static_cast<unsigned char>(c);
        if ((byte < 0x20 && c != '\t') || byte == 0x7f) {
            return "the value contains " + describe_char(c);
        }
    }
    return std::nullopt;
}

void require_publish_subject(std::string_view subject, std::string_view what) {
    if (auto why = publish_subject_problem(subject)) {
        refuse(what,
               subject,
               *why,
               "a subject is dot-separated tokens without spaces, e.g. orders.new; nothing "
               "was sent");
    }
}

void require_subscribe_subject(std::string_view subject, std::string_view what) {
    if (auto why = subscribe_subject_problem(subject)) {
        refuse(what,
               subject,
               *why,
               "use dot-separated tokens; '*' matches one token and '>' the rest, e.g. "
               "orders.*.new or orders.>");
    }
}

void require_queue_name(std::string_view queue, std::string_view what) {
    if (auto why = queue_name_problem(queue)) {
        refuse(what, queue, *why, "use a name without spaces, e.g. workers");
    }
}

std::pair<std::string, std::string> parse_header_flag(std::string_view text,
                                                      std::string_view flag) {
    const std::size_t colon = text.find(':');
    if (colon == std::string_view::npos) {
        refuse(std::string(flag) + " header",
               text,
               "there is no ':' between key and value",
               "write headers as Key:Value, e.g. " + std::string(flag)
                   + " Content-Type:text/plain");
    }
    const std::string_view key = trim_ows(text.substr(0, colon));
    if (auto why = header_key_problem(key)) {
        refuse(std::string(flag) + " header",
               text,
               *why,
               "write headers as Key:Value with a key of letters, digits and '-'");
    }
    return {std::string(key), std::string(trim_ows(text.substr(colon + 1)))};
}

bool subject_matches(std::string_view pattern, std::string_view subject) {
    const auto want = subject_tokens(pattern);
    const auto have = subject_tokens(subject);
    for (std::size_t i = 0; i < want.size(); ++i) {
        if (want[i] == ">") {
            return have.size() > i;
        }
        if (i >= have.size() || (want[i] != "*" && want[i] != have[i])) {
            return false;
        }
    }
    return want.size() == have.size();
}

} // namespace natty
