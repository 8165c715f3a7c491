#pragma once

// A latency histogram with log-linear buckets (the HDR histogram's layout): values below
// 2^k_linear_bits are counted exactly, every larger power-of-two range is cut into
// 2^(k_linear_bits-1) equal buckets, so a bucket is never wider than 1/128 of its values and the
// memory is fixed (~40 KiB) whatever is recorded. Values are whole numbers (natty records
// nanoseconds); one above k_max_value is counted as k_max_value.

#include <cstdint>
#include <string>
#include <vector>

namespace natty {

class Histogram {
public:
    // Exact below 256.
    static constexpr unsigned k_linear_bits = 8;
    // About 4.9 hours in nanoseconds; larger values are clamped to it.
    static constexpr std::uint64_t k_max_value = (std::uint64_t{1} << 44) - 1;

    Histogram();

    void record(std::uint64_t value);
    // Adds every value `other` recorded (per-client histograms into a total).
    void merge(const Histogram& other);

    std::uint64_t count() const { return m_count; }
    // 0 when empty.
    std::uint64_t min() const { return m_count == 0 ? 0 : m_min; }
    std::uint64_t max() const { return m_max; }
    double mean() const;
    // Population standard deviation of the recorded values; 0 when fewer than two.
    double stddev() const;

    // The smallest recorded value v such that at least `percent` % of the values are <= v, to
    // the bucket's precision: the highest value of the bucket holding the ceil(percent% *
    // count)-th value (at least the first), kept within [min(), max()]. 0 when empty; `percent`
    // is clamped to [0, 100].
    std::uint64_t percentile(double percent) const;

    // The bucket a value falls in, and the lowest and highest value of a bucket (for tests and
    // for text histograms).
    static std::size_t bucket_of(std::uint64_t value);
    static std::uint64_t bucket_low(std::size_t bucket);
    static std::uint64_t bucket_high(std::size_t bucket);
    static std::size_t bucket_count();

    // One row of a coarse view: [low, high] and how many values fell in it.
    struct Row {
        std::uint64_t low = 0;
        std::uint64_t high = 0;
        std::uint64_t count = 0;
    };
    // The recorded range from min() to max() cut into at most `rows` rows whose bounds grow
    // geometrically (latencies have long tails); every value is in exactly one row. Empty when
    // nothing was recorded.
    std::vector<Row> rows(std::size_t rows) const;

private:
    std::uint64_t count_in(std::uint64_t low, std::uint64_t high) const;

    std::vector<std::uint64_t> m_buckets;
    std::uint64_t m_count = 0;
    std::uint64_t m_min = 0;
    std::uint64_t m_max = 0;
    double m_sum = 0;
    double m_sum_squares = 0;
};

// A latency in nanoseconds for people, to three significant digits: "812ns", "45.2µs",
// "1.23ms", "2.5s".
std::string format_latency(std::uint64_t nanos);

} // namespace natty
