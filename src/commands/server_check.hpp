#pragma once

// The runner shared by the `server check` kinds (server_check_*.cpp): threshold flags, settings
// and a connection whose failures become UNKNOWN or CRITICAL, and writing the result (server
// tls shares days_text); private to src/commands.

#include <natty/commands/server.hpp>
#include <natty/context/settings.hpp>
#include <natty/error.hpp>
#include <natty/nats/connection.hpp>
#include <natty/output/check.hpp>
#include <natty/util/duration.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace natty::server_check {

using Clock = std::chrono::steady_clock;

double seconds_of(Duration d);

// "12d3h": whole days and hours of a number of seconds.
std::string days_text(long long seconds);

// An UNKNOWN message from a usage or configuration error: what was wrong, then what to do.
std::string unknown_text(const Error& e);

// A duration threshold flag in seconds: empty or zero = off (the Go CLI's connection check
// would always fire on 0); malformed = UNKNOWN naming the flag.
std::optional<double>
duration_threshold(const std::string& text, const std::string& flag, output::CheckResult& result);

// A numeric threshold flag: negative = off; malformed = UNKNOWN naming the flag.
std::optional<double>
number_threshold(const std::string& text, const std::string& flag, output::CheckResult& result);

// Runs one check: chooses the output format (a bad one is UNKNOWN, rendered as Nagios), lets
// `body` fill the result, writes it to stdout or --outfile and ends with the Nagios exit code
// (throwing SilentExit unless it is 0).
void run_check(output::CheckResult result,
               const CheckOutputOptions& options,
               Runtime& runtime,
               const std::function<void(output::CheckResult&)>& body);

// The resolved settings, or nullptr when the check cannot run as asked: a flag was already
// found UNKNOWN, or the context or URL is bad (recorded as UNKNOWN).
const Settings* settings_or_unknown(Runtime& runtime, output::CheckResult& result);

// Connects for a check unless a flag was already reported UNKNOWN or the settings cannot be
// resolved (UNKNOWN); a failed connect records `connection failed: <reason>`. nullopt then.
std::optional<nats::Connection> connect_for_check(Runtime& runtime, output::CheckResult& result);

// Classifies a measured duration against thresholds (in seconds, higher is worse) and records
// `ok_text` or, when one fired, `exceeded(threshold)`.
void classify_time(output::CheckResult& result,
                   Duration measured,
                   std::optional<double> warn,
                   std::optional<double> crit,
                   const std::string& ok_text,
                   const std::function<std::string(double)>& exceeded);

} // namespace natty::server_check
