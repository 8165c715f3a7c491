#include <natty/util/histogram.hpp>

#include <catch2/catch.hpp>

#include <cstdint>

using namespace natty;

TEST_CASE("histogram percentiles are exact below 256", "[histogram]") {
    Histogram h;
    for (std::uint64_t v = 1; v <= 100; ++v) {
        h.record(v);
    }
    CHECK(h.count() == 100);
    CHECK(h.min() == 1);
    CHECK(h.max() == 100);
    CHECK(h.mean() == Approx(50.5));
    CHECK(h.percentile(50) == 50);
    CHECK(h.percentile(90) == 90);
    CHECK(h.percentile(99) == 99);
    CHECK(h.percentile(99.9) == 100);
    CHECK(h.percentile(0) == 1);
    CHECK(h.percentile(100) == 100);
}

TEST_CASE("histogram ranks round up: p99.9 of 1000 values is the 999th", "[histogram]") {
    Histogram h;
    for (std::uint64_t v = 1; v <= 1000; ++v) {
        h.record(v % 200); // 0..199, five times each
    }
    CHECK(h.percentile(99.9) == 199);
    CHECK(h.percentile(50) == 99);
    CHECK(h.percentile(0.1) == 0);
}

TEST_CASE("histogram buckets tile the value range without gaps or overlaps", "[histogram]") {
    CHECK(Histogram::bucket_of(255) == 255);
    CHECK(Histogram::bucket_of(256) == 256);
    CHECK(Histogram::bucket_of(257) == 256); // two values per bucket from 256 to 511
    CHECK(Histogram::bucket_low(256) == 256);
    CHECK(Histogram::bucket_high(256) == 257);
    CHECK(Histogram::bucket_of(512) == 256 + 128);
    CHECK(Histogram::bucket_high(Histogram::bucket_count() - 1) == Histogram::k_max_value);
    for (std::size_t b = 1; b < Histogram::bucket_count(); ++b) {
        INFO("bucket " << b);
        REQUIRE(Histogram::bucket_low(b) == Histogram::bucket_high(b - 1) + 1);
        REQUIRE(Histogram::bucket_of(Histogram::bucket_low(b)) == b);
        REQUIRE(Histogram::bucket_of(Histogram::bucket_high(b)) == b);
        // Never wider than 1/128 of the bucket's lowest value.
        REQUIRE((Histogram::bucket_high(b) - Histogram::bucket_low(b) + 1) * 128
                <= std::max<std::uint64_t>(Histogram::bucket_low(b), 128));
    }
}

TEST_CASE("histogram percentiles above 256 are the bucket's highest value", "[histogram]") {
    Histogram h;
    h.record(1000);   // bucket [1000, 1003]
    h.record(1001);
    h.record(50'000); // bucket [49'920, 50'175]
    h.record(50'100);
    CHECK(Histogram::bucket_low(Histogram::bucket_of(1000)) == 1000);
    CHECK(Histogram::bucket_high(Histogram::bucket_of(1000)) == 1003);
    CHECK(h.percentile(50) == 1003);
    CHECK(h.percentile(75) == 50'100); // the bucket's high (50'175) is kept within max()
    CHECK(h.percentile(100) == 50'100);
    CHECK(h.min() == 1000);
}

TEST_CASE("histogram clamps values above its range and merges exactly", "[histogram]") {
    Histogram a;
    Histogram b;
    a.record(5);
    b.record(7);
    b.record(Histogram::k_max_value + 12345);
    a.merge(b);
    a.merge(Histogram{});
    CHECK(a.count() == 3);
    CHECK(a.min() == 5);
    CHECK(a.max() == Histogram::k_max_value);
    CHECK(a.percentile(50) == 7);
    Histogram empty;
    CHECK(empty.percentile(50) == 0);
    CHECK(empty.min() == 0);
    CHECK(empty.mean() == 0.0);
    CHECK(empty.rows(10).empty());
}

TEST_CASE("histogram standard deviation is the population one", "[histogram]") {
    Histogram h;
    for (const std::uint64_t v : {2u, 4u, 4u, 4u, 5u, 5u, 7u, 9u}) {
        h.record(v);
    }
    CHECK(h.mean() == Approx(5.0));
    CHECK(h.stddev() == Approx(2.0));
}

TEST_CASE("histogram rows cover min to max and count every value once", "[histogram]") {
    Histogram h;
    for (std::uint64_t v = 1; v <= 10'000; ++v) {
        h.record(v * 10);
    }
    const auto rows = h.rows(8);
    REQUIRE(rows.size() == 8);
    CHECK(rows.front().low == 10);
    CHECK(rows.back().high == 100'000);
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        total += rows[i].count;
        CHECK(rows[i].low <= rows[i].high);
        if (i > 0) {
            CHECK(rows[i].low == rows[i - 1].high + 1);
        }
    }
    CHECK(total == 10'000);
    Histogram one;
    one.record(42);
    one.record(42);
    const auto single = one.rows(8);
    REQUIRE(single.size() == 1);
    CHECK(single[0].low == 42);
    CHECK(single[0].high == 42);
    CHECK(single[0].count == 2);
}

TEST_CASE("latencies print to three significant digits", "[histogram]") {
    CHECK(format_latency(0) == "0s");
    CHECK(format_latency(812) == "812ns");
    CHECK(format_latency(45'249) == "45.2\xC2\xB5s");
    CHECK(format_latency(1'234'567) == "1.23ms");
    CHECK(format_latency(2'500'000'000) == "2.5s");
}
