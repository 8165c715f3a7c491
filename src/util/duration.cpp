#include <natty/error.hpp>
#include <natty/util/duration.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace natty {
namespace {

struct Unit {
    std::string_view name;
    double nanos;
};

constexpr Unit k_units[] = {
    {"ns", 1.0},          {"us", 1e3},          {"\xC2\xB5s", 1e3}, {"ms", 1e6},
    {"s", 1e9},           {"m", 60e9},          {"h", 3600e9},      {"d", 86400e9},
    {"w", 7 * 86400e9},
};

[[noreturn]] void bad_duration(std::string_view text, std::string_view what) {
    throw UsageError(std::string(what) + ": invalid duration \"" + std::string(text) + "\"",
                     "use a number with a unit, e.g. 500ms, 2s, 1m30s, 7d");
}

} // namespace

Duration parse_duration(std::string_view text, std::string_view what) {
    if (text == "0") {
        return Duration::zero();
    }
    if (text.empty()) {
        bad_duration(text, what);
    }
    double total = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t start = pos;
        bool seen_dot = false;
        while (pos < text.size() &&
               ((text[pos] >= '0' && text[pos] <= '9') || (text[pos] == '.' && !seen_dot))) {
            seen_dot = seen_dot || text[pos] == '.';
            ++pos;
        }
        std::string number(text.substr(start, pos - start));
        if (number.empty() || number == ".") {
            bad_duration(text, what);
        }
        std::size_t unit_start = pos;
        while (pos < text.size() && !(text[pos] >= '0' && text[pos] <= '9') && text[pos] != '.') {
            ++pos;
        }
        std::string_view unit_name = text.substr(unit_start, pos - unit_start);
        const Unit* unit = nullptr;
        for (const auto& candidate : k_units) {
            if (candidate.name == unit_name) {
                unit = &candidate;
            }
        }
        if (unit == nullptr) {
            bad_duration(text, what);
        }
        // strtod, unlike std::stod, does not throw when the number is out of a double's range:
        // it gives HUGE_VAL, refused below, or a value that underflows to 0.
        total += std::strtod(number.c_str(), nullptr) * unit->nanos;
    }
    if (!std::isfinite(total)) {
        bad_duration(text, what);
    }
    // Longer would overflow a deadline of now() + duration (steady and system clocks count
    // 64-bit nanoseconds; 100 years leaves room for both epochs).
    if (total > static_cast<double>(k_max_duration.count())) {
        throw UsageError(std::string(what) + ": duration \"" + std::string(text)
                             + "\" is too long",
                         "the longest is 36500d (100 years)");
    }
    return Duration(static_cast<std::int64_t>(std::llround(total)));
}

namespace {

// Go prints fractional units without trailing zeros: 1.5s, 37.14225ms.
std::string trim_fraction(double value) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.9f", value);
    std::string s(buf);
    while (!s.empty() && s.back() == '0') {
        s.pop_back();
    }
    if (!s.empty() && s.back() == '.') {
        s.pop_back();
    }
    return s;
}

} // namespace

std::string format_go_duration(Duration d) {
    const std::int64_t ns = d.count();
    if (ns == 0) {
        return "0s";
    }
    const bool negative = ns < 0;
    const double abs_ns = std::fabs(static_cast<double>(ns));
    std::string body;
    if (abs_ns < 1e3) {
        body = trim_fraction(abs_ns) + "ns";
    } else if (abs_ns < 1e6) {
        body = trim_fraction(abs_ns / 1e3) + "\xC2\xB5s";
    } else if (abs_ns < 1e9) {
        body = trim_fraction(abs_ns / 1e6) + "ms";
    } else {
        auto total = static_cast<std::int64_t>(abs_ns);
        const std::int64_t hours = total / 3'600'000'000'000;
        total -= hours * 3'600'000'000'000;
        const std::int64_t minutes = total / 60'000'000'000;
        total -= minutes * 60'000'000'000;
        std::string seconds = trim_fraction(static_cast<double>(total) / 1e9) + "s";
        if (hours > 0) {
            body = std::to_string(hours) + "h" + std::to_string(minutes) + "m" + seconds;
        } else if (minutes > 0) {
            body = std::to_string(minutes) + "m" + seconds;
        } else {
            body = seconds;
        }
    }
    return negative ? "-" + body : body;
}

std::int64_t to_millis(Duration d) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
    if (ms == 0 && d.count() > 0) {
        return 1;
    }
    return ms;
}

} // namespace natty
