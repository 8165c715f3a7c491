#include <natty/util/time.hpp>

#include <cstdio>
#include <ctime>

namespace natty {
namespace {

using std::chrono::duration_cast;

// Whole seconds since the epoch and the nanoseconds past them (never negative).
struct Split {
    long long seconds;
    long long nanos;
};

Split split(TimePoint t) {
    const long long total = duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
    Split s{total / 1000000000, total % 1000000000};
    if (s.nanos < 0) {
        s.nanos += 1000000000;
        --s.seconds;
    }
    return s;
}

std::tm utc(long long seconds) {
    const auto time = static_cast<std::time_t>(seconds);
    std::tm tm{};
    ::gmtime_r(&time, &tm);
    return tm;
}

std::tm local(long long seconds) {
    const auto time = static_cast<std::time_t>(seconds);
    std::tm tm{};
    ::localtime_r(&time, &tm);
    return tm;
}

} // namespace

std::string rfc3339_nano_utc(TimePoint t) {
    // Formatted by hand: strftime re-reads the time zone on every call, which was the
    // bottleneck of sub --json. The date and time of day change once a second: keep the last
    // conversion.
    const Split s = split(t);
    thread_local long long cached_seconds = -1;
    thread_local std::tm tm{};
    if (s.seconds != cached_seconds) {
        tm = utc(s.seconds);
        cached_seconds = s.seconds;
    }
    std::string out(30, '0');
    auto put = [&out](std::size_t pos, long long value, std::size_t width) {
        for (std::size_t i = 0; i < width; ++i) {
            out[pos + width - 1 - i] = static_cast<char>('0' + value % 10);
            value /= 10;
        }
    };
    put(0, tm.tm_year + 1900LL, 4);
    out[4] = '-';
    put(5, tm.tm_mon + 1LL, 2);
    out[7] = '-';
    put(8, tm.tm_mday, 2);
    out[10] = 'T';
    put(11, tm.tm_hour, 2);
    out[13] = ':';
    put(14, tm.tm_min, 2);
    out[16] = ':';
    put(17, tm.tm_sec, 2);
    out[19] = '.';
    put(20, s.nanos, 9);
    out[29] = 'Z';
    return out;
}

std::string rfc3339_utc(TimePoint t) {
    const std::tm tm = utc(split(t).seconds);
    char buf[64];
    return std::string(buf, std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm));
}

std::string rfc3339_local(TimePoint t) {
    const std::tm tm = local(split(t).seconds);
    char buf[64];
    std::string out(buf, std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm));
    const long offset = tm.tm_gmtoff;
    if (offset == 0) {
        return out + "Z";
    }
    const long magnitude = offset < 0 ? -offset : offset;
    char zone[32];
    std::snprintf(zone,
                  sizeof zone,
                  "%c%02ld:%02ld",
                  offset < 0 ? '-' : '+',
                  magnitude / 3600,
                  (magnitude % 3600) / 60);
    return out + zone;
}

std::string local_date_time(TimePoint t) {
    const std::tm tm = local(split(t).seconds);
    char buf[64];
    return std::string(buf, std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm));
}

std::string stamp_micro_local(TimePoint t) {
    const Split s = split(t);
    const std::tm tm = local(s.seconds);
    char buf[64];
    const std::size_t n = std::strftime(buf, sizeof buf, "%b %e %H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof buf - n, ".%06lld", s.nanos / 1000);
    return buf;
}

std::string kitchen_local(TimePoint t) {
    const std::tm tm = local(split(t).seconds);
    const int hour12 = tm.tm_hour % 12 == 0 ? 12 : tm.tm_hour % 12;
    char buf[16];
    std::snprintf(buf, sizeof buf, "%d:%02d%s", hour12, tm.tm_min, tm.tm_hour < 12 ? "AM" : "PM");
    return buf;
}

} // namespace natty
