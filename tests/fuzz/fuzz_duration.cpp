// Durations (--timeout, --interval, `server check` thresholds) and sizes (kv --max-bucket-size,
// --max-value-size, check thresholds): the same input is tried as both.

#include "fuzz_support.hpp"

#include <natty/error.hpp>
#include <natty/util/duration.hpp>
#include <natty/util/kv_names.hpp>

using namespace natty;
using natty::fuzz::require;

namespace {

// Below 2^52 ns (~52 days) every nanosecond count is exact in a double.
constexpr std::int64_t k_exact_nanos = std::int64_t{1} << 52;

void check_duration(std::string_view input) {
    Duration d{};
    try {
        d = parse_duration(input, "--timeout");
    } catch (const UsageError&) {
        return;
    }
    require(d.count() >= 0, "a parsed duration is not negative");
    require(to_millis(d) >= 0, "to_millis() of a parsed duration is not negative");
    require(d.count() == 0 || to_millis(d) >= 1, "to_millis() keeps a positive duration positive");
    const std::string shown = format_go_duration(d);
    Duration again{};
    try {
        again = parse_duration(shown, "formatted");
    } catch (const UsageError&) {
        require(false, "format_go_duration() output parses as a duration");
    }
    if (d.count() < k_exact_nanos) {
        require(again == d, "format_go_duration() output parses back to the same duration");
    }
}

void check_size(std::string_view input) {
    try {
        const std::int64_t bytes = parse_size(input, "--max-bucket-size");
        require(bytes >= -1, "a parsed size is -1 (unlimited) or a byte count");
        require(bytes != -1 || input == "-1" || input == "unlimited",
                "only -1 and unlimited mean unlimited");
    } catch (const UsageError&) {
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input = fuzz::as_text(data, size);
    check_duration(input);
    check_size(input);
    return 0;
}
