#include <natty/io.hpp>
#include <natty/output/check.hpp>
#include <natty/output/output.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>

namespace natty::output {
namespace {

// printf-style number formatting into a std::string.
std::string number_text(double value, bool seconds) {
    char buf[64];
    std::snprintf(buf, sizeof buf, seconds ? "%0.4f" : "%0.0f", value);
    return buf;
}

// A Prometheus sample value: shortest round-trip representation.
std::string sample_text(double value) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", value);
    std::string shortest = buf;
    for (int precision = 1; precision < 17; ++precision) {
        std::snprintf(buf, sizeof buf, "%.*g", precision, value);
        if (std::stod(buf) == value) {
            shortest = buf;
            break;
        }
    }
    return shortest;
}

// Metric names allow [a-zA-Z0-9_:]; everything else becomes '_'.
std::string metric_name(std::string_view text) {
    std::string name;
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        name += (std::isalnum(u) != 0 || c == '_' || c == ':') ? c : '_';
    }
    return name;
}

// Label values keep everything but '"', '\\' and newlines, which become '.' (the Go CLI maps
// '"' so).
std::string label_value(std::string_view text) {
    std::string value;
    for (const char c : text) {
        value += (c == '"' || c == '\\' || c == '\n') ? '.' : c;
    }
    return value;
}

std::string threshold_text(const std::optional<double>& t, bool seconds) {
    return t ? number_text(*t, seconds) : std::string();
}

} // namespace

std::string_view status_word(CheckStatus status) {
    switch (status) {
    case CheckStatus::ok:
        return "OK";
    case CheckStatus::warning:
        return "WARNING";
    case CheckStatus::critical:
        return "CRITICAL";
    case CheckStatus::unknown:
        return "UNKNOWN";
    }
    return "UNKNOWN";
}

CheckStatus classify(double value,
                     std::optional<double> warn,
                     std::optional<double> crit,
                     Direction direction) {
    if (direction == Direction::automatic) {
        direction = (warn && crit && *crit < *warn) ? Direction::lower_is_worse
                                                    : Direction::higher_is_worse;
    }
    const auto fires = [&](const std::optional<double>& threshold) {
        if (!threshold) {
            return false;
        }
        return direction == Direction::lower_is_worse ? value <= *threshold : value >= *threshold;
    };
    if (fires(crit)) {
        return CheckStatus::critical;
    }
    if (fires(warn)) {
        return CheckStatus::warning;
    }
    return CheckStatus::ok;
}

std::string format_go_float(double value) {
    if (value == 0 || !std::isfinite(value)) {
        return value == 0 ? "0" : sample_text(value);
    }
    // The fewest significant digits that read back as the same double.
    char buf[64];
    int digits = 1;
    for (; digits < 17; ++digits) {
        std::snprintf(buf, sizeof buf, "%.*e", digits - 1, value);
        if (std::stod(buf) == value) {
            break;
        }
    }
    std::snprintf(buf, sizeof buf, "%.*e", digits - 1, value);
    const int exponent = std::atoi(std::strchr(buf, 'e') + 1);
    if (exponent < -4 || exponent >= 6) {
        return buf;
    }
    std::snprintf(buf, sizeof buf, "%.*f", std::max(digits - 1 - exponent, 0), value);
    return buf;
}

std::string format_perfdata(const PerfItem& item) {
    const bool seconds = item.unit == "s";
    std::string name = item.name;
    if (std::any_of(name.begin(), name.end(), [](char c) {
            return std::isspace(static_cast<unsigned char>(c)) != 0;
        })) {
        name = "'" + name + "'";
    }
    std::string text = name + "=" + number_text(item.value, seconds) + item.unit;
    if (item.warn || item.crit) {
        text += ";" + threshold_text(item.warn, seconds) + ";" + threshold_text(item.crit, seconds);
    }
    return text;
}

void CheckResult::add(CheckStatus status, std::string message) {
    switch (status) {
    case CheckStatus::ok:
        ok(std::move(message));
        break;
    case CheckStatus::warning:
        warning(std::move(message));
        break;
    case CheckStatus::critical:
        critical(std::move(message));
        break;
    case CheckStatus::unknown:
        unknown(std::move(message));
        break;
    }
}

CheckStatus CheckResult::status() const {
    if (!m_unknown.empty()) {
        return CheckStatus::unknown;
    }
    if (!m_critical.empty()) {
        return CheckStatus::critical;
    }
    if (!m_warning.empty()) {
        return CheckStatus::warning;
    }
    return CheckStatus::ok;
}

std::optional<CheckFormat> parse_check_format(std::string_view text) {
    if (text == "nagios") {
        return CheckFormat::nagios;
    }
    if (text == "json") {
        return CheckFormat::json;
    }
    if (text == "prometheus") {
        return CheckFormat::prometheus;
    }
    if (text == "text") {
        return CheckFormat::text;
    }
    return std::nullopt;
}

std::string render_nagios(const CheckResult& result) {
    std::string line = std::string(status_word(result.status())) + " " + result.name();
    const auto append = [&](std::string_view prefix, const std::vector<std::string>& messages) {
        for (const auto& m : messages) {
            line += " ";
            line += prefix;
            line += m;
        }
    };
    append("Unknown:", result.unknown_messages());
    append("Crit:", result.critical_messages());
    append("Warn:", result.warning_messages());
    append("OK:", result.ok_messages());
    if (!result.perf_items().empty()) {
        line += " |";
        for (const auto& item : result.perf_items()) {
            line += " " + format_perfdata(item);
        }
    }
    return line + "\n";
}

nlohmann::json render_json(const CheckResult& result) {
    nlohmann::json doc = nlohmann::json::object();
    doc["status"] = status_word(result.status());
    doc["check_suite"] = result.suite();
    doc["check_name"] = result.name();
    const auto put = [&](const char* key, const std::vector<std::string>& messages) {
        if (!messages.empty()) {
            doc[key] = messages;
        }
    };
    put("unknown", result.unknown_messages());
    put("warning", result.warning_messages());
    put("critical", result.critical_messages());
    put("ok", result.ok_messages());
    nlohmann::json perf = nlohmann::json::array();
    for (const auto& item : result.perf_items()) {
        nlohmann::json p = {{"name", item.name},
                            {"value", item.value},
                            {"warning", item.warn.value_or(0)},
                            {"critical", item.crit.value_or(0)}};
        if (!item.unit.empty()) {
            p["unit"] = item.unit;
        }
        perf.push_back(std::move(p));
    }
    doc["perf_data"] = std::move(perf);
    for (const auto& [key, value] : result.extras().items()) {
        doc[key] = value;
    }
    return doc;
}

std::string render_prometheus(const CheckResult& result, std::string_view name_space) {
    const std::string prefix = metric_name(std::string(name_space) + "_" + result.suite() + "_");
    const std::string item = "item=\"" + label_value(result.name()) + "\"";
    // name -> (help, sample lines); std::map keeps families sorted.
    std::map<std::string, std::pair<std::string, std::vector<std::string>>> families;
    for (const auto& p : result.perf_items()) {
        auto& family = families[prefix + metric_name(p.name)];
        family.first = p.help.empty() ? p.name : p.help;
        family.second.push_back(prefix + metric_name(p.name) + "{" + item + "} "
                                + sample_text(p.value));
    }
    const auto status = result.status();
    auto& status_family = families[prefix + "status_code"];
    status_family.first = "Nagios compatible status code";
    status_family.second.push_back(prefix + "status_code{" + item + ",status=\""
                                   + std::string(status_word(status)) + "\"} "
                                   + std::to_string(static_cast<int>(status)));
    std::string text;
    for (const auto& [name, family] : families) {
        text += "# HELP " + name + " " + family.first + "\n";
        text += "# TYPE " + name + " gauge\n";
        for (const auto& sample : family.second) {
            text += sample + "\n";
        }
    }
    return text;
}

std::string render_text(const CheckResult& result) {
    std::ostringstream out;
    std::ostringstream err;
    std::istringstream in;
    Io io(out, err, in);
    out << result.name() << ": " << status_word(result.status()) << "\n\n";
    Table details({"Status", "Message"});
    const auto add = [&](const char* word, const std::vector<std::string>& messages) {
        for (const auto& m : messages) {
            details.add({word, m});
        }
    };
    add("UNKNOWN", result.unknown_messages());
    add("CRITICAL", result.critical_messages());
    add("WARNING", result.warning_messages());
    add("OK", result.ok_messages());
    out << "Status Detail\n\n";
    details.render(io);
    if (!result.perf_items().empty()) {
        Table metrics(
            {"Metric", "Value", "Unit", "Critical Threshold", "Warning Threshold", "Description"});
        for (const auto& p : result.perf_items()) {
            const bool seconds = p.unit == "s";
            metrics.add({p.name,
                         number_text(p.value, seconds),
                         p.unit,
                         threshold_text(p.crit, seconds),
                         threshold_text(p.warn, seconds),
                         p.help});
        }
        out << "\nCheck Metrics\n\n";
        metrics.render(io);
    }
    return out.str();
}

std::string
render_check(const CheckResult& result, CheckFormat format, std::string_view name_space) {
    switch (format) {
    case CheckFormat::nagios:
        return render_nagios(result);
    case CheckFormat::json:
        return render_json(result).dump(2) + "\n";
    case CheckFormat::prometheus:
        return render_prometheus(result, name_space);
    case CheckFormat::text:
        return render_text(result);
    }
    return render_nagios(result);
}

int check_exit_code(const CheckResult& result, CheckFormat format) {
    return format == CheckFormat::prometheus ? 0 : static_cast<int>(result.status());
}

} // namespace natty::output
