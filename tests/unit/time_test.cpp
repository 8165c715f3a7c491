#include <natty/util/time.hpp>

#include <catch2/catch.hpp>

#include <regex>

using natty::TimePoint;
using std::chrono::nanoseconds;

TEST_CASE("UTC times are RFC 3339, with nanoseconds for machines") {
    CHECK(natty::rfc3339_nano_utc(TimePoint(nanoseconds(1784560245123456789)))
          == "2026-07-20T15:10:45.123456789Z");
    CHECK(natty::rfc3339_nano_utc(TimePoint(nanoseconds(5))) == "1970-01-01T00:00:00.000000005Z");
    // The cached date must not leak into the next second.
    CHECK(natty::rfc3339_nano_utc(TimePoint(nanoseconds(1784560246000000000)))
          == "2026-07-20T15:10:46.000000000Z");
    // Before the epoch the nanoseconds still count up from the second before.
    CHECK(natty::rfc3339_nano_utc(TimePoint(nanoseconds(-1))) == "1969-12-31T23:59:59.999999999Z");
    CHECK(natty::rfc3339_utc(TimePoint(nanoseconds(1784560245999999999)))
          == "2026-07-20T15:10:45Z");
}

TEST_CASE("local times have the Go CLI's shapes") {
    const TimePoint t(nanoseconds(1784560245123456789));
    CHECK(std::regex_match(natty::rfc3339_local(t),
                           std::regex(R"(2026-07-2[01]T\d\d:\d\d:45(Z|[+-]\d\d:\d\d))")));
    CHECK(std::regex_match(natty::local_date_time(t), std::regex(R"(2026-07-2[01] \d\d:\d\d:45)")));
    CHECK(std::regex_match(natty::stamp_micro_local(t), std::regex(R"(Jul 2[01] \d\d:\d\d:45\.123456)")));
    CHECK(std::regex_match(natty::kitchen_local(t), std::regex(R"(1?\d:\d\d(AM|PM))")));
}
