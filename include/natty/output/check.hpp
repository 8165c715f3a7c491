#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace natty::output {

// Nagios plugin states; the numeric value is the plugin's exit code.
enum class CheckStatus { ok = 0, warning = 1, critical = 2, unknown = 3 };

// "OK", "WARNING", "CRITICAL", "UNKNOWN".
std::string_view status_word(CheckStatus status);

// Which way a metric gets worse; automatic follows the Go CLI: higher is worse unless both
// thresholds are set and critical < warning ("inversion"), then lower is worse.
enum class Direction { automatic, higher_is_worse, lower_is_worse };

// Classifies a value against optional warning/critical thresholds (unset = never fires).
// Higher-is-worse fires at value >= threshold, lower-is-worse at value <= threshold; critical
// wins over warning. Pure, so it is unit-tested branch by branch.
CheckStatus classify(double value,
                     std::optional<double> warn,
                     std::optional<double> crit,
                     Direction direction = Direction::automatic);

// A float as Go's %v prints it (shortest digits; exponent form below 1e-4 or from 1e6 on):
// 0.5 -> "0.5", 1 -> "1", 1e-9 -> "1e-09". The Go CLI's connection check words its thresholds so.
std::string format_go_float(double value);

// One perfdata item: `name=value[unit][;warn;crit]`.
struct PerfItem {
    std::string name;
    double value = 0;
    std::string unit; // "s" prints 4 decimals, anything else an integer
    std::optional<double> warn;
    std::optional<double> crit;
    std::string help; // Prometheus HELP text and the text format's Description column
};

// Formats one item like the Go CLI: `connect_time=0.0371s;0.5000;1.0000`; thresholds are left
// out when neither is set, a missing one of the pair is left empty; names with whitespace are
// single-quoted.
std::string format_perfdata(const PerfItem& item);

// The outcome of one health check: messages by severity plus perfdata, rendered by the
// functions below (the jsm.go monitor result shape).
class CheckResult {
public:
    CheckResult(std::string name, std::string suite)
        : m_name(std::move(name)), m_suite(std::move(suite)) {}

    void critical(std::string message) { m_critical.push_back(std::move(message)); }
    void warning(std::string message) { m_warning.push_back(std::move(message)); }
    void ok(std::string message) { m_ok.push_back(std::move(message)); }
    // A problem with the check itself (bad flag, bad configuration): status UNKNOWN.
    void unknown(std::string message) { m_unknown.push_back(std::move(message)); }
    void perf(PerfItem item) { m_perf.push_back(std::move(item)); }
    // Adds `message` to the list `status` names (unknown/critical/warning/ok).
    void add(CheckStatus status, std::string message);
    // natty-only fields for the JSON output (e.g. "failed_phase").
    void extra(const std::string& key, nlohmann::json value) { m_extra[key] = std::move(value); }

    // UNKNOWN if any unknown, else CRITICAL if any critical, else WARNING if any, else OK.
    CheckStatus status() const;
    bool has_unknown() const { return !m_unknown.empty(); }

    const std::string& name() const { return m_name; }
    const std::string& suite() const { return m_suite; }
    const std::vector<std::string>& critical_messages() const { return m_critical; }
    const std::vector<std::string>& warning_messages() const { return m_warning; }
    const std::vector<std::string>& ok_messages() const { return m_ok; }
    const std::vector<std::string>& unknown_messages() const { return m_unknown; }
    const std::vector<PerfItem>& perf_items() const { return m_perf; }
    const nlohmann::json& extras() const { return m_extra; }

private:
    std::string m_name;
    std::string m_suite;
    std::vector<std::string> m_unknown, m_critical, m_warning, m_ok;
    std::vector<PerfItem> m_perf;
    nlohmann::json m_extra = nlohmann::json::object();
};

enum class CheckFormat { nagios, json, prometheus, text };

// "nagios", "json", "prometheus", "text"; nullopt for anything else.
std::optional<CheckFormat> parse_check_format(std::string_view text);

// `OK Connection OK:... | perfdata` (Unknown: before Crit: before Warn: before OK:), newline.
std::string render_nagios(const CheckResult& result);
// {"status","check_suite","check_name","unknown"?,"critical"?,"warning"?,"ok"?,"perf_data":[...]}
// plus the result's extras (e.g. "failed_phase").
nlohmann::json render_json(const CheckResult& result);
// Prometheus text exposition: one gauge per perfdata item plus <ns>_<suite>_status_code.
std::string render_prometheus(const CheckResult& result, std::string_view name_space);
// Human text: status line, status detail table, metrics table.
std::string render_text(const CheckResult& result);
std::string
render_check(const CheckResult& result, CheckFormat format, std::string_view name_space);

// Nagios exit code of the status; always 0 for Prometheus, as the Go CLI does.
int check_exit_code(const CheckResult& result, CheckFormat format);

} // namespace natty::output
