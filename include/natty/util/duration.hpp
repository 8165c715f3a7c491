#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace natty {

using Duration = std::chrono::nanoseconds;

// The longest duration natty accepts: 100 years, so a deadline of now() + it cannot overflow.
inline constexpr Duration k_max_duration = std::chrono::hours(24 * 36500);

// Parses Go-style durations: "250ms", "1.5s", "2m30s", "1h", "30d", "100us"/"100µs", "10ns".
// A bare "0" is zero. Throws UsageError naming `what` (e.g. "--timeout") when malformed or
// longer than k_max_duration.
Duration parse_duration(std::string_view text, std::string_view what);

// Formats like Go's time.Duration.String(): "1.5s", "37.14225ms", "412µs", "2m3s", "0s".
std::string format_go_duration(Duration d);

// Milliseconds for nats.c APIs, saturating at INT64 bounds and never below 1 for a positive input.
std::int64_t to_millis(Duration d);

} // namespace natty
