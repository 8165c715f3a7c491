#pragma once

// What the bench subcommands share (private to src/commands): the checked plan, the client
// threads, the measurements and their report.

#include <natty/commands/bench.hpp>
#include <natty/io.hpp>
#include <natty/nats/connection.hpp>
#include <natty/util/duration.hpp>
#include <natty/util/histogram.hpp>
#include <natty/util/interrupt.hpp>

#include <nlohmann/json_fwd.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace natty::bench {

using Clock = std::chrono::steady_clock;

// The messages when neither --msgs nor --duration is given.
constexpr std::uint64_t k_default_msgs = 100'000;
constexpr std::uint64_t k_default_size = 128;
// The largest --size: nats-server's own ceiling for max_payload.
constexpr std::uint64_t k_max_size = 64 * 1024 * 1024;

// The flags, checked (UsageError before anything connects).
struct Plan {
    std::size_t clients = 1;
    std::optional<std::uint64_t> msgs; // nullopt: until the deadline
    std::optional<std::size_t> size;   // nullopt only for reply without --size (echo)
    std::optional<Duration> duration;
};
Plan check_plan(const BenchOptions& options,
                bool size_defaults = true,
                bool per_client_msgs = false);

// This client's part of `total`: the first total % clients clients take one more.
std::uint64_t share_of(std::uint64_t total, std::size_t clients, std::size_t client);

// What one client did in one phase.
struct ClientResult {
    std::uint64_t msgs = 0;
    std::uint64_t bytes = 0;
    std::uint64_t dropped = 0; // messages nats.c dropped (slow consumer)
    std::optional<Clock::time_point> first;
    Clock::time_point last{};
    Histogram latency; // only for phases that time each operation

    // Counts one message of `bytes` at `at`.
    void count(std::uint64_t message_bytes, Clock::time_point at) {
        if (!first) {
            first = at;
        }
        last = at;
        ++msgs;
        bytes += message_bytes;
    }
    double seconds() const;
};

// One measured step: "pub", "sub", "request", "reply", "put" or "get".
struct Phase {
    std::string name;
    std::vector<ClientResult> clients;
    bool timed = false; // clients' latency histograms are filled

    std::uint64_t msgs() const;
    std::uint64_t bytes() const;
    std::uint64_t dropped() const;
    // From the first client's start to the last client's end.
    double seconds() const;
    Histogram latency() const;
};

struct Report {
    std::string benchmark;  // pub, sub, request, reply, kv
    std::string target_key; // "subject" or "bucket"
    std::string target;
    std::optional<std::size_t> size;
    std::size_t clients = 1;
    std::vector<Phase> phases;
    bool interrupted = false;
};

// The report as the one --json document.
nlohmann::json report_json(const Report& report);
// The report as CSV: a header, then a row per client and an "all" row per phase.
std::string report_csv(const Report& report);
// Writes the report as --json, --csv or text says, then says so when the run was cut short.
void print_report(Io& io, const Report& report, const BenchOptions& options);

// Tells the clients when to stop; they poll stopped() between operations.
class Control {
public:
    explicit Control(std::size_t clients) : m_done(clients) {}
    bool stopped() const { return m_stop.load(std::memory_order_relaxed); }
    void stop() { m_stop.store(true, std::memory_order_relaxed); }
    // A client's progress, for the progress bar.
    void progress(std::size_t client, std::uint64_t done) {
        m_done[client].store(done, std::memory_order_relaxed);
    }
    std::uint64_t total_done() const;

private:
    std::atomic<bool> m_stop{false};
    std::vector<std::atomic<std::uint64_t>> m_done;
};

// How the calling thread watches the clients.
struct Watch {
    const char* unit = "msgs";
    std::optional<std::uint64_t> total; // for the progress bar
    std::optional<Duration> duration;   // stop the clients after this long
    bool progress = false;              // draw a progress bar on stderr
};

// Runs client(i, control) for i in [0, clients) each on its own thread, while this thread draws
// the progress bar and stops them at the deadline or on SIGINT/SIGTERM. The first failure stops
// the others and is rethrown once every thread has ended.
void run_clients(Io& io,
                 std::size_t clients,
                 const std::function<void(std::size_t, Control&)>& client,
                 const Watch& watch,
                 const InterruptGuard& interrupt);

// Whether a progress bar is wanted: stderr is a terminal, and no --no-progress.
bool want_progress(const Io& io, const BenchOptions& options);

// One connection per client, opened one after another on this thread (a connect's watchdog
// must not see another connect's sockets). A deque: its elements never move.
// `send_asap`: see nats::ConnectSpec.
std::deque<nats::Connection>
connect_clients(Runtime& runtime, std::size_t clients, bool send_asap = false);

// Refuses a --size the server would not accept (more than its max_payload).
void check_size(std::size_t size, const nats::Connection& connection);

// Prints the report; after a signal, says so and exits 130/143 (SilentExit).
void finish(Io& io, Report& report, const BenchOptions& options, const InterruptGuard& interrupt);

// `size` bytes of printable filler.
std::string payload(std::size_t size);

} // namespace natty::bench
