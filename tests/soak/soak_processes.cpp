// L04: ten thousand short `natty pub` processes in a row; all exit 0, the server is left with no
// connections and this process with no descriptors it did not have before.
#include "soak.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <thread>

namespace natty::soak {
namespace {

constexpr std::chrono::minutes k_budget{20};
// How long the server may take to notice the last publishers have gone.
constexpr std::chrono::seconds k_connz_wait{5};
constexpr std::chrono::seconds k_per_process{10};

// Wall time per process, in milliseconds.
struct Timings {
    std::vector<double> ms;

    double mean() const {
        return ms.empty()
                   ? 0
                   : std::accumulate(ms.begin(), ms.end(), 0.0) / static_cast<double>(ms.size());
    }
    // Nearest-rank percentile of the sorted times.
    double percentile(double p) const {
        if (ms.empty()) {
            return 0;
        }
        std::vector<double> sorted = ms;
        std::sort(sorted.begin(), sorted.end());
        const auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size()));
        return sorted[std::min(rank, sorted.size() - 1)];
    }
};

// Polls /connz until the server holds no client connection; returns the last count seen.
std::int64_t wait_for_no_connections(const test::NatsServer& server) {
    const auto end = Clock::now() + k_connz_wait;
    std::int64_t connections = monitor_number(server, "/connz", "num_connections");
    while (connections != 0 && Clock::now() < end) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        connections = monitor_number(server, "/connz", "num_connections");
    }
    return connections;
}

} // namespace

Checks run_processes(const Config& config) {
    Checks checks("processes");
    const Deadline deadline(k_budget);
    const auto server = start_server(config, "processes");
    test::RunOptions options;
    options.env = natty_env(config);
    options.timeout = k_per_process;
    const std::vector<std::string> argv =
        natty_args(config, *server, {"pub", "soak.processes", "hello"});
    const int fds_before = fd_count("self");

    Timings timings;
    std::int64_t failed = 0;
    std::string first_failure;
    while (static_cast<std::int64_t>(timings.ms.size()) < config.processes && !deadline.expired()) {
        const auto start = Clock::now();
        const test::RunResult result = test::run(argv, options);
        timings.ms.push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - start).count());
        if (result.exit_code != 0 && failed++ == 0) {
            first_failure = "exit " + std::to_string(result.exit_code)
                            + (result.timed_out ? " (timed out)" : "") + ": " + result.err;
        }
    }
    const auto ran = static_cast<std::int64_t>(timings.ms.size());
    const std::int64_t connections = wait_for_no_connections(*server);
    const int fds_after = fd_count("self");
    const std::int64_t total_connections = monitor_number(*server, "/varz", "total_connections");

    std::printf("processes: %s runs, wall time per process mean %.1f ms, p50 %.1f ms, p99 %.1f ms, "
                "max %.1f ms\n",
                with_commas(ran).c_str(),
                timings.mean(),
                timings.percentile(50),
                timings.percentile(99),
                timings.percentile(100));
    std::printf("processes: server connections afterwards %lld (of %s made), soak fds %d -> %d\n",
                static_cast<long long>(connections),
                with_commas(total_connections).c_str(),
                fds_before,
                fds_after);
    checks.expect(ran == config.processes,
                  "only " + with_commas(ran) + " of " + with_commas(config.processes)
                      + " processes ran before the deadline");
    checks.expect(failed == 0,
                  with_commas(failed) + " processes failed, the first with " + first_failure);
    checks.expect(connections == 0,
                  "the server still has " + std::to_string(connections) + " connections after "
                      + std::to_string(k_connz_wait.count()) + " s (-1: /connz unreadable)");
    checks.expect(total_connections >= ran,
                  "the server saw " + with_commas(total_connections) + " connections for "
                      + with_commas(ran) + " publishers");
    checks.expect(fds_after == fds_before,
                  "the soak process had " + std::to_string(fds_before) + " fds before and "
                      + std::to_string(fds_after) + " after");
    return checks;
}

} // namespace natty::soak
