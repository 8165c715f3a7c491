#include <natty/error.hpp>
#include <natty/util/kv_names.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>

namespace natty {
namespace {

std::string in_quotes(std::string_view s) {
    return "\"" + std::string(s) + "\"";
}

bool is_key_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
           || c == '/' || c == '_' || c == '=' || c == '.';
}

// Checks tokens separated by dots; `wildcards` allows `*` tokens and a final `>`.
std::string dotted_problem(std::string_view text, bool wildcards, std::string_view what) {
    if (text.empty()) {
        return std::string(what) + " is empty";
    }
    if (text.front() == '.' || text.back() == '.') {
        return std::string(what) + " " + in_quotes(text) + " starts or ends with a dot";
    }
    if (text.find("..") != std::string_view::npos) {
        return std::string(what) + " " + in_quotes(text) + " has an empty token (\"..\")";
    }
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t end = std::min(text.find('.', start), text.size());
        const std::string_view token = text.substr(start, end - start);
        const bool last = end == text.size();
        if (wildcards && (token == "*" || (token == ">" && last))) {
            start = end + 1;
            continue;
        }
        for (const char c : token) {
            if (!is_key_char(c)) {
                return std::string(what) + " " + in_quotes(text) + " contains "
                       + (c == ' ' ? std::string("a space") : "'" + std::string(1, c) + "'")
                       + "; keys may use letters, digits and - / _ = .";
            }
        }
        start = end + 1;
    }
    return {};
}

} // namespace

std::string kv_key_problem(std::string_view key) {
    if (key.find_first_of("*>") != std::string_view::npos) {
        return "key " + in_quotes(key) + " contains a wildcard (* or >)";
    }
    return dotted_problem(key, false, "key");
}

std::string kv_filter_problem(std::string_view filter) {
    return dotted_problem(filter, true, "key filter");
}

std::string kv_bucket_problem(std::string_view name) {
    if (name.empty()) {
        return "bucket name is empty";
    }
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                        || c == '-' || c == '_';
        if (!ok) {
            return "bucket name " + in_quotes(name) + " contains '" + std::string(1, c) + "'";
        }
    }
    return {};
}

std::int64_t parse_size(std::string_view text, std::string_view what) {
    const std::string bad = std::string(what) + ": " + in_quotes(text) + " is not a size";
    const std::string hint = "use a byte count or a size like 512KB, 1MB, 1GiB (powers of 1024), "
                             "or -1 for unlimited";
    if (text == "-1" || text == "unlimited") {
        return -1;
    }
    std::size_t i = 0;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) {
        ++i;
    }
    if (i == 0) {
        throw UsageError(bad, hint);
    }
    double number = 0;
    try {
        std::size_t used = 0;
        number = std::stod(std::string(text.substr(0, i)), &used);
        if (used != i) {
            throw UsageError(bad, hint);
        }
    } catch (const std::logic_error&) {
        throw UsageError(bad, hint);
    }
    std::string unit(text.substr(i));
    while (!unit.empty() && unit.front() == ' ') {
        unit.erase(0, 1);
    }
    for (auto& c : unit) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    if (unit.size() == 3 && unit[1] == 'I' && unit[2] == 'B') {
        unit = unit.substr(0, 1);
    } else if (unit.size() == 2 && unit[1] == 'B') {
        unit = unit.substr(0, 1);
    }
    double factor = 1;
    if (unit.empty() || unit == "B") {
        factor = 1;
    } else if (unit == "K") {
        factor = 1024.0;
    } else if (unit == "M") {
        factor = 1024.0 * 1024;
    } else if (unit == "G") {
        factor = 1024.0 * 1024 * 1024;
    } else if (unit == "T") {
        factor = 1024.0 * 1024 * 1024 * 1024;
    } else {
        throw UsageError(bad, hint);
    }
    const double bytes = std::floor(number * factor);
    if (bytes > 9.0e18) {
        throw UsageError(bad + " (too large)", hint);
    }
    return static_cast<std::int64_t>(bytes);
}

} // namespace natty
