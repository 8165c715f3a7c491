#include <natty/commands/options.hpp>
#include <natty/util/printable.hpp>

#include <CLI/CLI.hpp>

#include <limits>

namespace natty {
namespace {

constexpr std::size_t k_max_shown = 32;

// A decimal number split into its sign and magnitude; nullopt on anything but [-]digits or on
// a magnitude beyond 2^64-1.
struct Parsed {
    bool negative = false;
    std::uint64_t magnitude = 0;
};

std::optional<Parsed> parse_decimal(std::string_view text) {
    Parsed parsed;
    if (!text.empty() && text.front() == '-') {
        parsed.negative = true;
        text.remove_prefix(1);
    }
    if (text.empty()) {
        return std::nullopt;
    }
    constexpr auto k_max = std::numeric_limits<std::uint64_t>::max();
    for (const char c : text) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (parsed.magnitude > (k_max - digit) / 10) {
            return std::nullopt;
        }
        parsed.magnitude = parsed.magnitude * 10 + digit;
    }
    return parsed;
}

bool within(const Parsed& value, NumberRange range) {
    if (value.negative && value.magnitude != 0) {
        if (range.min >= 0) {
            return false;
        }
        // -(min + 1) + 1 is |min| without overflowing at INT64_MIN.
        const auto limit = static_cast<std::uint64_t>(-(range.min + 1)) + 1;
        return value.magnitude <= limit;
    }
    return value.magnitude <= range.max &&
           (range.min <= 0 || value.magnitude >= static_cast<std::uint64_t>(range.min));
}

// The offending text as the user typed it, shortened and printable().
std::string shown(std::string_view text) {
    return "\"" + printable(text.substr(0, k_max_shown))
           + (text.size() > k_max_shown ? "...\"" : "\"");
}

} // namespace

std::optional<std::string> number_problem(std::string_view text, NumberRange range) {
    const auto parsed = parse_decimal(text);
    if (parsed && within(*parsed, range)) {
        return std::nullopt;
    }
    return "must be a whole number from " + std::to_string(range.min) + " to " +
           std::to_string(range.max) + ", not " + shown(text);
}

CLI::Validator whole_number(NumberRange range) {
    return CLI::Validator(
        [range](std::string& text) -> std::string {
            if (auto problem = number_problem(text, range)) {
                return *problem;
            }
            const auto parsed = parse_decimal(text);
            text = (parsed->negative && parsed->magnitude != 0 ? "-" : "") +
                   std::to_string(parsed->magnitude);
            return {};
        },
        "");
}

} // namespace natty
