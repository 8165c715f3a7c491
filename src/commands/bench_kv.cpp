// bench kv: puts keys into a bucket, then gets them back, timing every operation.

#include "bench_common.hpp"

#include <natty/commands/bench.hpp>
#include <natty/commands/runtime.hpp>
#include <natty/error.hpp>
#include <natty/nats/error.hpp>
#include <natty/nats/jetstream.hpp>
#include <natty/nats/kv.hpp>
#include <natty/util/kv_names.hpp>

#include <limits>

namespace natty {
namespace {

using bench::Clock;

std::uint64_t elapsed_ns(Clock::time_point start, Clock::time_point end) {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count());
}

// Client i's n-th key: clients never share a key, with or without --duration.
std::string key_of(std::size_t client, std::uint64_t n) {
    return std::to_string(client + 1) + "." + std::to_string(n);
}

// Opens the bucket, creating it (history 1, --storage) when it does not exist.
void ensure_bucket(nats::JetStream& js, const BenchOptions& options, Io& io) {
    try {
        nats::KvBucket::open(js, options.bucket);
        return;
    } catch (const nats::NatsError& e) {
        if (!e.not_found()) {
            throw;
        }
    }
    nats::KvBucketConfig config;
    config.bucket = options.bucket;
    config.history = 1;
    config.memory_storage = options.storage == "memory";
    nats::KvBucket::create(js, config);
    io.note("Created bucket \"" + options.bucket + "\" (" + options.storage
            + " storage, history 1)");
}

void put_client(nats::KvBucket& bucket,
                const std::string& value,
                std::uint64_t limit,
                bench::Control& control,
                std::size_t client,
                bench::ClientResult& result) {
    while (result.msgs < limit && !control.stopped()) {
        const std::string key = key_of(client, result.msgs);
        const auto start = Clock::now();
        bucket.put(key, value);
        const auto end = Clock::now();
        if (!result.first) {
            result.first = start;
        }
        result.count(value.size(), end);
        result.latency.record(elapsed_ns(start, end));
        control.progress(client, result.msgs);
    }
}

// Gets back the `count` keys this client put; a missing or changed value is a failure.
void get_client(nats::KvBucket& bucket,
                std::size_t size,
                std::uint64_t count,
                bench::Control& control,
                std::size_t client,
                bench::ClientResult& result) {
    while (result.msgs < count && !control.stopped()) {
        const std::string key = key_of(client, result.msgs);
        const auto start = Clock::now();
        const auto record = bucket.get(key);
        const auto end = Clock::now();
        if (!record) {
            throw Error(ExitCode::failure,
                        "bench kv: key \"" + key + "\" of bucket \"" + bucket.name()
                            + "\" is missing after its put");
        }
        if (record->value.size() != size) {
            throw Error(ExitCode::failure,
                        "bench kv: key \"" + key + "\" has " + std::to_string(record->value.size())
                            + " bytes, not the " + std::to_string(size) + " put");
        }
        if (!result.first) {
            result.first = start;
        }
        result.count(size, end);
        result.latency.record(elapsed_ns(start, end));
        control.progress(client, result.msgs);
    }
}

} // namespace

void run_bench_kv(const BenchOptions& options, Runtime& runtime) {
    Io& io = runtime.io();
    if (const std::string problem = kv_bucket_problem(options.bucket); !problem.empty()) {
        throw UsageError("invalid bucket name: " + problem,
                         "bucket names are letters, digits, - and _");
    }
    const bench::Plan plan = bench::check_plan(options);
    auto connections = bench::connect_clients(runtime, plan.clients, /*send_asap=*/true);
    bench::check_size(*plan.size, connections.front());
    std::deque<nats::JetStream> js;
    for (auto& connection : connections) {
        js.emplace_back(connection);
    }
    ensure_bucket(js.front(), options, io);
    std::vector<nats::KvBucket> buckets;
    for (auto& context : js) {
        buckets.push_back(nats::KvBucket::open(context, options.bucket));
    }
    InterruptGuard interrupt;
    const std::string value = bench::payload(*plan.size);
    bench::Report report{"kv", "bucket", options.bucket, plan.size, plan.clients, {}, false};
    const bool progress = bench::want_progress(io, options);
    report.phases.push_back({"put", std::vector<bench::ClientResult>(plan.clients), true});
    bench::run_clients(
        io,
        plan.clients,
        [&](std::size_t i, bench::Control& control) {
            const auto limit = plan.msgs ? bench::share_of(*plan.msgs, plan.clients, i)
                                         : std::numeric_limits<std::uint64_t>::max();
            put_client(buckets[i], value, limit, control, i, report.phases[0].clients[i]);
        },
        {"puts", plan.msgs, plan.duration, progress},
        interrupt);
    if (!interrupt.requested()) {
        report.phases.push_back({"get", std::vector<bench::ClientResult>(plan.clients), true});
        bench::run_clients(
            io,
            plan.clients,
            [&](std::size_t i, bench::Control& control) {
                get_client(buckets[i],
                           value.size(),
                           report.phases[0].clients[i].msgs,
                           control,
                           i,
                           report.phases[1].clients[i]);
            },
            {"gets", report.phases[0].msgs(), plan.duration, progress},
            interrupt);
    }
    bench::finish(io, report, options, interrupt);
}

} // namespace natty
