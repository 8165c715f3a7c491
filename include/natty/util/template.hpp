#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace natty {

// Values a template may refer to when rendered for one message.
struct TemplateValues {
    std::uint64_t count = 1;                               // {{Count}}, {{Cnt}}: 1-based
    std::string_view request;                              // {{Request}}
    const std::vector<std::string_view>* tokens = nullptr; // {{0}}, {{1}}: subject tokens
};

// Which optional names a template may use: {{Request}} and {{0}}... only make sense in reply.
struct TemplateFeatures {
    bool request = false;
    bool tokens = false;
};

// natty's small template language, compatible with what the Go CLI's templates are used for:
// {{Count}} {{Cnt}} {{TimeStamp}} {{Unix}} {{UnixNano}} {{Time}} {{ID}} {{Random MIN MAX}}
// (also written {{.Count}}), plus {{Request}} and {{N}} where enabled. Compiled once and
// rendered per message; anything it does not understand is a UsageError, never sent raw.
class Template {
public:
    // Parses `text`; `what` names where it came from ("body", "subject", "header X") for errors.
    static Template
    compile(std::string_view text, std::string_view what, TemplateFeatures features = {});
    // The text as is, without interpreting {{ }} (for --no-templates).
    static Template literal(std::string_view text);

    std::string render(const TemplateValues& values) const;
    // True when there are no actions: render() always returns the source text.
    bool is_constant() const { return m_constant; }
    const std::string& source() const { return m_source; }

private:
    enum class Kind {
        literal,
        count,
        timestamp,
        unix_seconds,
        unix_nanos,
        kitchen,
        id,
        random,
        request,
        token
    };
    struct Part {
        Kind kind = Kind::literal;
        std::string text;
        std::uint64_t a = 0;
        std::uint64_t b = 0;
    };

    // Reports a compile error (throws UsageError); `hint` "" means the list of known actions.
    using Fail = std::function<void(const std::string& message, const std::string& hint)>;
    // One {{action}}'s text (without the braces) as a part; `fail` for an unknown action or
    // bad arguments.
    static Part compile_action(std::string_view action, TemplateFeatures features, const Fail& fail);

    std::string m_source;
    std::vector<Part> m_parts;
    bool m_constant = true;
    mutable std::mt19937_64 m_rng{std::random_device{}()};
};

// A fresh 22-character base62 identifier, in the spirit of NATS NUIDs.
std::string new_id(std::mt19937_64& rng);

} // namespace natty
