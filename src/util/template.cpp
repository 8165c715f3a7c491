#include <natty/error.hpp>
#include <natty/util/printable.hpp>
#include <natty/util/template.hpp>
#include <natty/util/time.hpp>

#include <charconv>
#include <chrono>
#include <ctime>

namespace natty {
namespace {

constexpr std::string_view k_alphanumeric =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
constexpr std::uint64_t k_max_random_length = 1024 * 1024;
// All {{Random}} actions of one template together: the largest payload a server accepts, so a
// template can never render more than could be sent.
constexpr std::uint64_t k_max_random_total = 64 * 1024 * 1024;
// How much of a template an error message quotes (a whole stdin body would flood the terminal).
constexpr std::size_t k_quoted_length = 64;

const char* k_known = "known: {{Count}} {{Cnt}} {{TimeStamp}} {{Unix}} {{UnixNano}} {{Time}} "
                      "{{ID}} {{Random MIN MAX}}";

std::vector<std::string_view> split_words(std::string_view text) {
    std::vector<std::string_view> words;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) {
            ++i;
        }
        const std::size_t start = i;
        while (i < text.size() && text[i] != ' ' && text[i] != '\t') {
            ++i;
        }
        if (i > start) {
            words.push_back(text.substr(start, i - start));
        }
    }
    return words;
}

bool parse_uint(std::string_view text, std::uint64_t& value) {
    if (text.empty()) {
        return false;
    }
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc() && end == text.data() + text.size();
}

} // namespace

std::string new_id(std::mt19937_64& rng) {
    std::uniform_int_distribution<std::size_t> pick(0, k_alphanumeric.size() - 1);
    std::string id(22, ' ');
    for (char& c : id) {
        c = k_alphanumeric[pick(rng)];
    }
    return id;
}

Template Template::literal(std::string_view text) {
    Template t;
    t.m_source = std::string(text);
    t.m_parts.push_back(Part{Kind::literal, t.m_source});
    return t;
}

Template::Part
Template::compile_action(std::string_view action, TemplateFeatures features, const Fail& fail) {
    const auto words = split_words(action);
    if (words.empty()) {
        fail("empty template action '{{}}'", "");
    }
    std::string_view name = words.front();
    if (name.size() > 1 && name.front() == '.') {
        name.remove_prefix(1);
    }
    Part part;
    const std::string shown = "{{" + std::string(action) + "}}";
    std::uint64_t index = 0;
    if (name == "Count" || name == "Cnt") {
        part.kind = Kind::count;
    } else if (name == "TimeStamp") {
        part.kind = Kind::timestamp;
    } else if (name == "Unix") {
        part.kind = Kind::unix_seconds;
    } else if (name == "UnixNano") {
        part.kind = Kind::unix_nanos;
    } else if (name == "Time") {
        part.kind = Kind::kitchen;
    } else if (name == "ID") {
        part.kind = Kind::id;
    } else if (name == "Random") {
        part.kind = Kind::random;
        if (words.size() != 3 || !parse_uint(words[1], part.a) || !parse_uint(words[2], part.b)
            || part.a > part.b || part.b > k_max_random_length) {
            fail("bad template " + shown,
                 "write {{Random MIN MAX}} with 0 <= MIN <= MAX <= 1048576, e.g. {{Random 10 20}}");
        }
    } else if (name == "Request" && features.request) {
        part.kind = Kind::request;
    } else if (features.tokens && parse_uint(name, index)) {
        part.kind = Kind::token;
        part.a = index;
    } else {
        fail("unknown template " + shown, "");
    }
    if (part.kind != Kind::random && words.size() != 1) {
        fail("template " + shown + " takes no arguments", "");
    }
    return part;
}

Template
Template::compile(std::string_view text, std::string_view what, TemplateFeatures features) {
    Template t;
    t.m_source = std::string(text);
    const std::string where(what);
    const Fail fail = [&](const std::string& message, const std::string& hint) {
        // Printable: a NUL in the template would end what() early, a newline split the line.
        // A long template (a whole stdin body) is quoted only as far as k_quoted_length.
        std::string quoted = t.m_source.substr(0, k_quoted_length);
        if (t.m_source.size() > k_quoted_length) {
            quoted += "...";
        }
        throw UsageError(printable(message + " in " + where + " \"" + quoted + "\""),
                         hint.empty()
                             ? std::string(k_known) + (features.request ? " {{Request}}" : "")
                                   + (features.tokens ? " {{0}} {{1}}..." : "")
                                   + "; use --no-templates to send the text as is"
                             : hint);
    };
    std::size_t pos = 0;
    std::string pending;
    std::uint64_t random_total = 0;
    while (pos < text.size()) {
        const std::size_t open = text.find("{{", pos);
        if (open == std::string_view::npos) {
            pending += text.substr(pos);
            break;
        }
        pending += text.substr(pos, open - pos);
        const std::size_t close = text.find("}}", open + 2);
        if (close == std::string_view::npos) {
            fail("unclosed template action '{{' at offset " + std::to_string(open), "");
        }
        Part part = compile_action(text.substr(open + 2, close - open - 2), features, fail);
        if (part.kind == Kind::random && (random_total += part.b) > k_max_random_total) {
            fail("{{Random}} actions that together render more than 64 MiB",
                 "use fewer or shorter {{Random MIN MAX}} actions");
        }
        if (!pending.empty()) {
            t.m_parts.push_back(Part{Kind::literal, std::move(pending)});
            pending.clear();
        }
        t.m_parts.push_back(std::move(part));
        t.m_constant = false;
        pos = close + 2;
    }
    if (!pending.empty()) {
        t.m_parts.push_back(Part{Kind::literal, std::move(pending)});
    }
    return t;
}

std::string Template::render(const TemplateValues& values) const {
    if (m_constant) {
        return m_source;
    }
    std::string out;
    for (const Part& part : m_parts) {
        switch (part.kind) {
        case Kind::literal:
            out += part.text;
            break;
        case Kind::count:
            out += std::to_string(values.count);
            break;
        case Kind::timestamp:
            out += rfc3339_local(std::chrono::system_clock::now());
            break;
        case Kind::unix_seconds:
            out += std::to_string(std::time(nullptr));
            break;
        case Kind::unix_nanos:
            out += std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count());
            break;
        case Kind::kitchen:
            out += kitchen_local(std::chrono::system_clock::now());
            break;
        case Kind::id:
            out += new_id(m_rng);
            break;
        case Kind::random: {
            std::uniform_int_distribution<std::uint64_t> length(part.a, part.b);
            std::uniform_int_distribution<std::size_t> pick(0, k_alphanumeric.size() - 1);
            const std::uint64_t n = length(m_rng);
            for (std::uint64_t i = 0; i < n; ++i) {
                out += k_alphanumeric[pick(m_rng)];
            }
            break;
        }
        case Kind::request:
            out += values.request;
            break;
        case Kind::token:
            if (values.tokens != nullptr && part.a < values.tokens->size()) {
                out += (*values.tokens)[part.a];
            }
            break;
        }
    }
    return out;
}

} // namespace natty
