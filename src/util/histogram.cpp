#include <natty/util/duration.hpp>
#include <natty/util/histogram.hpp>

#include <algorithm>
#include <bit>
#include <cmath>

namespace natty {
namespace {

constexpr std::uint64_t k_linear = std::uint64_t{1} << Histogram::k_linear_bits;
constexpr std::uint64_t k_half = k_linear / 2;
// Buckets per power of two above the linear range, and how many such ranges there are.
constexpr std::size_t k_groups =
    static_cast<std::size_t>(std::bit_width(Histogram::k_max_value)) - Histogram::k_linear_bits;
constexpr std::size_t k_buckets = k_linear + k_groups * k_half;

} // namespace

Histogram::Histogram() : m_buckets(k_buckets, 0) {}

std::size_t Histogram::bucket_count() {
    return k_buckets;
}

std::size_t Histogram::bucket_of(std::uint64_t value) {
    value = std::min(value, k_max_value);
    if (value < k_linear) {
        return static_cast<std::size_t>(value);
    }
    const auto msb = static_cast<unsigned>(std::bit_width(value)) - 1;
    const unsigned shift = msb - (k_linear_bits - 1);
    const std::uint64_t top = value >> shift; // in [k_half, k_linear)
    return static_cast<std::size_t>(k_linear + (msb - k_linear_bits) * k_half + (top - k_half));
}

std::uint64_t Histogram::bucket_low(std::size_t bucket) {
    if (bucket < k_linear) {
        return bucket;
    }
    const std::size_t j = bucket - k_linear;
    const std::size_t group = j / k_half;
    const std::uint64_t offset = j % k_half;
    const auto shift = static_cast<unsigned>(group + 1);
    return (k_half + offset) << shift;
}

std::uint64_t Histogram::bucket_high(std::size_t bucket) {
    if (bucket < k_linear) {
        return bucket;
    }
    const auto shift = static_cast<unsigned>((bucket - k_linear) / k_half + 1);
    return bucket_low(bucket) + (std::uint64_t{1} << shift) - 1;
}

void Histogram::record(std::uint64_t value) {
    value = std::min(value, k_max_value);
    ++m_buckets[bucket_of(value)];
    m_min = m_count == 0 ? value : std::min(m_min, value);
    m_max = std::max(m_max, value);
    ++m_count;
    const auto v = static_cast<double>(value);
    m_sum += v;
    m_sum_squares += v * v;
}

void Histogram::merge(const Histogram& other) {
    if (other.m_count == 0) {
        return;
    }
    for (std::size_t i = 0; i < k_buckets; ++i) {
        m_buckets[i] += other.m_buckets[i];
    }
    m_min = m_count == 0 ? other.m_min : std::min(m_min, other.m_min);
    m_max = std::max(m_max, other.m_max);
    m_count += other.m_count;
    m_sum += other.m_sum;
    m_sum_squares += other.m_sum_squares;
}

double Histogram::mean() const {
    return m_count == 0 ? 0.0 : m_sum / static_cast<double>(m_count);
}

double Histogram::stddev() const {
    if (m_count < 2) {
        return 0.0;
    }
    const double mu = mean();
    const double variance = m_sum_squares / static_cast<double>(m_count) - mu * mu;
    return variance > 0 ? std::sqrt(variance) : 0.0;
}

std::uint64_t Histogram::percentile(double percent) const {
    if (m_count == 0) {
        return 0;
    }
    percent = std::clamp(percent, 0.0, 100.0);
    // The epsilon keeps 99.9% of 1000 at rank 999 despite 99.9 having no exact binary form.
    const double wanted = std::ceil(percent * static_cast<double>(m_count) / 100.0 - 1e-9);
    const std::uint64_t rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(wanted));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < k_buckets; ++i) {
        seen += m_buckets[i];
        if (seen >= rank) {
            return std::clamp(bucket_high(i), m_min, m_max);
        }
    }
    return m_max;
}

std::uint64_t Histogram::count_in(std::uint64_t low, std::uint64_t high) const {
    std::uint64_t n = 0;
    for (std::size_t i = bucket_of(low); i < k_buckets && bucket_low(i) <= high; ++i) {
        // A bucket counts for the row that holds its highest value within [min, max].
        const std::uint64_t at = std::clamp(bucket_high(i), m_min, m_max);
        if (at >= low && at <= high) {
            n += m_buckets[i];
        }
    }
    return n;
}

std::vector<Histogram::Row> Histogram::rows(std::size_t rows) const {
    std::vector<Row> out;
    if (m_count == 0 || rows == 0) {
        return out;
    }
    // Row bounds grow geometrically from min to max + 1; equal bounds collapse.
    std::vector<std::uint64_t> bounds{m_min};
    const double first = static_cast<double>(std::max<std::uint64_t>(m_min, 1));
    const double ratio = static_cast<double>(m_max + 1) / first;
    for (std::size_t i = 1; i < rows; ++i) {
        const double at =
            first * std::pow(ratio, static_cast<double>(i) / static_cast<double>(rows));
        const auto bound = static_cast<std::uint64_t>(std::llround(at));
        if (bound > bounds.back() && bound <= m_max) {
            bounds.push_back(bound);
        }
    }
    bounds.push_back(m_max + 1);
    for (std::size_t i = 0; i + 1 < bounds.size(); ++i) {
        out.push_back(Row{bounds[i], bounds[i + 1] - 1, count_in(bounds[i], bounds[i + 1] - 1)});
    }
    return out;
}

std::string format_latency(std::uint64_t nanos) {
    if (nanos == 0) {
        return "0s";
    }
    // Round to three significant digits before formatting.
    const auto digits = static_cast<int>(std::floor(std::log10(static_cast<double>(nanos)))) + 1;
    std::uint64_t rounded = nanos;
    if (digits > 3) {
        const auto scale = static_cast<std::uint64_t>(std::llround(std::pow(10.0, digits - 3)));
        rounded = (nanos + scale / 2) / scale * scale;
    }
    return format_go_duration(Duration(static_cast<Duration::rep>(rounded)));
}

} // namespace natty
