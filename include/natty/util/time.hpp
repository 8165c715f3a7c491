#pragma once

#include <chrono>
#include <string>

// Every way natty writes a point in time, in one place. UTC for machines (JSON, Nagios
// lines), local time for people, in the Go CLI's formats where it has one.

namespace natty {

using TimePoint = std::chrono::system_clock::time_point;

// 2006-01-02T15:04:05.000000000Z: UTC with nanoseconds, as JSON output and the JetStream API
// carry times. Fast enough for sub --json at hundreds of thousands of messages per second.
std::string rfc3339_nano_utc(TimePoint t);
// 2006-01-02T15:04:05Z: UTC to the second (rtt, certificate validity).
std::string rfc3339_utc(TimePoint t);
// 2006-01-02T15:04:05+01:00 (Z for UTC): local time, Go's time.RFC3339 ({{TimeStamp}}).
std::string rfc3339_local(TimePoint t);
// 2006-01-02 15:04:05: local time (kv listings, as the Go CLI prints them).
std::string local_date_time(TimePoint t);
// Jan  2 15:04:05.000000: local time, Go's time.StampMicro (sub --timestamp).
std::string stamp_micro_local(TimePoint t);
// 3:04PM: local time, Go's time.Kitchen ({{Time}}).
std::string kitchen_local(TimePoint t);

} // namespace natty
