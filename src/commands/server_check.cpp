#include "server_check.hpp"

#include <natty/util/atomic_file.hpp>

#include <charconv>
#include <cmath>

namespace natty::server_check {

using output::CheckFormat;
using output::CheckResult;
using output::CheckStatus;
using output::Direction;

double seconds_of(Duration d) {
    return std::chrono::duration<double>(d).count();
}

std::string days_text(long long seconds) {
    const long long days = seconds / 86400;
    const long long hours = (seconds % 86400) / 3600;
    return std::to_string(days) + "d" + std::to_string(hours) + "h";
}

std::string unknown_text(const Error& e) {
    return e.hint().empty() ? std::string(e.what()) : std::string(e.what()) + " (" + e.hint() + ")";
}

std::optional<double>
duration_threshold(const std::string& text, const std::string& flag, CheckResult& result) {
    if (text.empty()) {
        return std::nullopt;
    }
    try {
        const Duration threshold = parse_duration(text, flag);
        return threshold == Duration::zero() ? std::nullopt
                                             : std::optional<double>(seconds_of(threshold));
    } catch (const Error& e) {
        result.unknown(unknown_text(e));
        return std::nullopt;
    }
}

std::optional<double>
number_threshold(const std::string& text, const std::string& flag, CheckResult& result) {
    double value = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || ptr != end || !std::isfinite(value)) {
        result.unknown("invalid " + flag + " \"" + text + "\": expected a number (-1 = off)");
        return std::nullopt;
    }
    return value < 0 ? std::nullopt : std::optional<double>(value);
}

namespace {

CheckFormat check_format(const CheckOutputOptions& options, CheckResult& result) {
    if (const auto format = output::parse_check_format(options.format)) {
        return *format;
    }
    result.unknown("invalid --format \"" + options.format
                   + "\": use nagios, json, prometheus or text");
    return CheckFormat::nagios;
}

void emit_check(const CheckResult& result,
                CheckFormat format,
                const CheckOutputOptions& options,
                Runtime& runtime) {
    const std::string text = output::render_check(result, format, options.name_space);
    if (!options.outfile.empty()) {
        write_file_atomic(options.outfile, text, 0600);
    } else {
        runtime.io().out << text;
        runtime.io().flush_out();
    }
    if (const int code = output::check_exit_code(result, format); code != 0) {
        throw SilentExit(static_cast<ExitCode>(code));
    }
}

} // namespace

void run_check(CheckResult result,
               const CheckOutputOptions& options,
               Runtime& runtime,
               const std::function<void(CheckResult&)>& body) {
    const CheckFormat format = check_format(options, result);
    body(result);
    emit_check(result, format, options, runtime);
}

const Settings* settings_or_unknown(Runtime& runtime, CheckResult& result) {
    if (result.has_unknown()) {
        return nullptr;
    }
    try {
        return &runtime.settings();
    } catch (const Error& e) {
        result.unknown(unknown_text(e));
        return nullptr;
    }
}

std::optional<nats::Connection> connect_for_check(Runtime& runtime, CheckResult& result) {
    if (settings_or_unknown(runtime, result) == nullptr) {
        return std::nullopt;
    }
    try {
        return runtime.connect();
    } catch (const Error& e) {
        result.critical(std::string("connection failed: ") + e.what());
        return std::nullopt;
    }
}

void classify_time(CheckResult& result,
                   Duration measured,
                   std::optional<double> warn,
                   std::optional<double> crit,
                   const std::string& ok_text,
                   const std::function<std::string(double)>& exceeded) {
    const CheckStatus status =
        output::classify(seconds_of(measured), warn, crit, Direction::higher_is_worse);
    if (status == CheckStatus::ok) {
        result.ok(ok_text);
        return;
    }
    result.add(status, exceeded(status == CheckStatus::critical ? *crit : *warn));
}

} // namespace natty::server_check
