#include "bench_common.hpp"

#include <natty/commands/bench.hpp>
#include <natty/commands/options.hpp>
#include <natty/commands/runtime.hpp>
#include <natty/error.hpp>
#include <natty/output/output.hpp>
#include <natty/util/kv_names.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <mutex>
#include <thread>

namespace natty::bench {
namespace {

constexpr std::int64_t k_max_clients = 256;
constexpr std::int64_t k_max_msgs = 1'000'000'000'000;
constexpr Duration k_max_bench_duration = std::chrono::hours(24);
constexpr std::chrono::milliseconds k_tick{100};

// Draws "[#####     ] 12,345/100,000 msgs 61,234 msgs/s" on a terminal's stderr.
class ProgressBar {
public:
    ProgressBar(Io& io, const Watch& watch) : m_io(io), m_watch(watch) {}

    void draw(std::uint64_t done, Clock::duration elapsed) {
        const double secs = std::chrono::duration<double>(elapsed).count();
        double fraction = 0;
        std::string of;
        if (m_watch.total && *m_watch.total > 0) {
            fraction = static_cast<double>(done) / static_cast<double>(*m_watch.total);
            of = "/" + output::with_commas(*m_watch.total);
        }
        if (m_watch.duration) {
            fraction =
                std::max(fraction, secs / std::chrono::duration<double>(*m_watch.duration).count());
        }
        constexpr double k_width = 30;
        std::string bar(static_cast<std::size_t>(std::min(fraction, 1.0) * k_width), '#');
        bar.resize(static_cast<std::size_t>(k_width), ' ');
        char rate[32];
        std::snprintf(rate, sizeof rate, "%.0f", secs > 0 ? static_cast<double>(done) / secs : 0.0);
        m_io.write_err("\r[" + bar + "] " + output::with_commas(done) + of + " " + m_watch.unit
                       + " " + rate + " " + m_watch.unit + "/s ");
        m_drawn = true;
    }
    void finish() {
        if (m_drawn) {
            m_io.write_err("\n");
        }
    }

private:
    Io& m_io;
    const Watch& m_watch;
    bool m_drawn = false;
};

// Keeps the first failure of any client thread.
class FirstFailure {
public:
    void keep(std::exception_ptr e) {
        std::lock_guard lock(m_mutex);
        if (!m_first) {
            m_first = std::move(e);
        }
    }
    void rethrow() {
        if (m_first) {
            std::rethrow_exception(m_first);
        }
    }

private:
    std::mutex m_mutex;
    std::exception_ptr m_first;
};

} // namespace

Plan check_plan(const BenchOptions& options, bool size_defaults, bool per_client_msgs) {
    Plan plan;
    plan.clients = static_cast<std::size_t>(options.clients);
    if (!options.duration.empty()) {
        const Duration d = parse_duration(options.duration, "--duration");
        if (d < std::chrono::milliseconds(1) || d > k_max_bench_duration) {
            throw UsageError("--duration must be from 1ms to 24h, not \"" + options.duration
                             + "\"");
        }
        plan.duration = d;
    }
    if (options.json && options.csv == "-") {
        throw UsageError("--json and --csv - cannot be combined",
                         "write the CSV to a file with --csv FILE");
    }
    if (options.msgs) {
        plan.msgs = static_cast<std::uint64_t>(*options.msgs);
    } else if (!plan.duration) {
        plan.msgs = k_default_msgs;
    }
    // Shared messages are split between the clients: a client with none would only skew the
    // per-client minimum and spread.
    if (!per_client_msgs && plan.msgs && *plan.msgs < plan.clients) {
        throw UsageError("--clients " + std::to_string(plan.clients) + " is more than --msgs "
                             + std::to_string(*plan.msgs) + ", which the clients share",
                         "give each client at least one message");
    }
    if (options.size) {
        const std::int64_t size = parse_size(*options.size, "--size");
        if (size < 0 || static_cast<std::uint64_t>(size) > k_max_size) {
            throw UsageError("--size must be from 0 to 64MiB, not \"" + *options.size + "\"");
        }
        plan.size = static_cast<std::size_t>(size);
    } else if (size_defaults) {
        plan.size = k_default_size;
    }
    return plan;
}

std::uint64_t share_of(std::uint64_t total, std::size_t clients, std::size_t client) {
    return total / clients + (client < total % clients ? 1 : 0);
}

std::uint64_t Control::total_done() const {
    std::uint64_t total = 0;
    for (const auto& done : m_done) {
        total += done.load(std::memory_order_relaxed);
    }
    return total;
}

void run_clients(Io& io,
                 std::size_t clients,
                 const std::function<void(std::size_t, Control&)>& client,
                 const Watch& watch,
                 const InterruptGuard& interrupt) {
    Control control(clients);
    FirstFailure failure;
    std::atomic<std::size_t> running{clients};
    std::vector<std::thread> threads;
    threads.reserve(clients);
    for (std::size_t i = 0; i < clients; ++i) {
        threads.emplace_back([&, i] {
            try {
                client(i, control);
            } catch (...) {
                failure.keep(std::current_exception());
                control.stop();
            }
            running.fetch_sub(1);
        });
    }
    ProgressBar bar(io, watch);
    const auto start = Clock::now();
    while (running.load() > 0) {
        interrupt.wait_for(k_tick);
        if (interrupt.requested() || (watch.duration && Clock::now() - start >= *watch.duration)) {
            control.stop();
        }
        if (watch.progress) {
            bar.draw(control.total_done(), Clock::now() - start);
        }
    }
    for (auto& thread : threads) {
        thread.join();
    }
    if (watch.progress) {
        bar.draw(control.total_done(), Clock::now() - start);
        bar.finish();
    }
    failure.rethrow();
}

std::deque<nats::Connection>
connect_clients(Runtime& runtime, std::size_t clients, bool send_asap) {
    std::deque<nats::Connection> connections;
    for (std::size_t i = 0; i < clients; ++i) {
        connections.emplace_back(runtime.connect(false, send_asap));
    }
    return connections;
}

void check_size(std::size_t size, const nats::Connection& connection) {
    const std::int64_t max = connection.max_payload();
    if (max > 0 && size > static_cast<std::uint64_t>(max)) {
        throw UsageError("--size " + std::to_string(size) + " is more than the server's "
                             + "max_payload of " + std::to_string(max) + " bytes",
                         "use a smaller --size");
    }
}

void finish(Io& io, Report& report, const BenchOptions& options, const InterruptGuard& interrupt) {
    report.interrupted = interrupt.requested();
    print_report(io, report, options);
    if (report.interrupted) {
        io.note("natty: interrupted; the figures cover what was done until then");
        throw SilentExit(interrupt.exit_code());
    }
}

bool want_progress(const Io& io, const BenchOptions& options) {
    return io.stderr_is_tty && !options.no_progress;
}

std::string payload(std::size_t size) {
    std::string data(size, '\0');
    for (std::size_t i = 0; i < size; ++i) {
        data[i] = static_cast<char>('a' + i % 26);
    }
    return data;
}

} // namespace natty::bench

namespace natty {
namespace {

// The flags every bench subcommand takes.
void add_common(CLI::App* cmd, BenchOptions& o, const char* msgs_help) {
    cmd->add_option("--clients",
                    o.clients,
                    "Concurrent clients, each with its own connection "
                    "(default 1)")
        ->transform(whole_number({1, static_cast<std::uint64_t>(bench::k_max_clients)}));
    cmd->add_option("--msgs", o.msgs, msgs_help)
        ->transform(whole_number({1, static_cast<std::uint64_t>(bench::k_max_msgs)}));
    cmd->add_option("--duration",
                    o.duration,
                    "Run this long (1ms to 24h); with --msgs too, whichever comes first");
    cmd->add_flag("--json", o.json, "Print the results as one JSON document");
    cmd->add_option("--csv",
                    o.csv,
                    "Write the results as CSV to FILE (- for stdout, instead "
                    "of the text report)");
    cmd->add_flag("--no-progress",
                  o.no_progress,
                  "No progress bar (drawn only when stderr is "
                  "a terminal)");
}

void add_subject(CLI::App* cmd, BenchOptions& o) {
    cmd->add_option("subject", o.subject, "Subject to use for the benchmark")->required();
}

void add_size(CLI::App* cmd, BenchOptions& o, const char* help) {
    cmd->add_option("--size", o.size, help);
}

} // namespace

void setup_bench(CLI::App& app, Runtime& runtime) {
    auto* bench = app.add_subcommand(
        "bench",
        "Measure throughput and latency, e.g.\n"
        "  natty bench sub bench.x --msgs 1000000 &  natty bench pub bench.x --msgs 1000000\n"
        "  natty bench reply svc.bench &  natty bench request svc.bench --clients 4\n"
        "  natty bench kv --msgs 50000 --storage memory\n"
        "--msgs and --duration: with neither, 100,000 messages; with both, whichever comes "
        "first. Ctrl-C stops, prints what was measured so far and exits 130");
    bench->require_subcommand(1);

    auto pub = std::make_shared<BenchOptions>();
    auto* p = bench->add_subcommand("pub", "Publish messages as fast as the server takes them");
    add_subject(p, *pub);
    add_common(p, *pub, "Messages to publish, shared by the clients (default 100000)");
    add_size(p, *pub, "Message size: bytes or 1KiB, 1MB... (default 128)");
    p->callback([pub, &runtime] { run_bench_pub(*pub, runtime); });

    auto sub = std::make_shared<BenchOptions>();
    auto* s = bench->add_subcommand(
        "sub", "Receive messages and measure the rate; dropped (slow consumer) ones are counted");
    add_subject(s, *sub);
    add_common(s, *sub, "Messages each client waits for (default 100000)");
    s->callback([sub, &runtime] { run_bench_sub(*sub, runtime); });

    auto req = std::make_shared<BenchOptions>();
    auto* r = bench->add_subcommand("request",
                                    "Send requests one after another per client and "
                                    "measure each round trip");
    add_subject(r, *req);
    add_common(r, *req, "Requests to send, shared by the clients (default 100000)");
    add_size(r, *req, "Request size: bytes or 1KiB, 1MB... (default 128)");
    r->callback([req, &runtime] { run_bench_request(*req, runtime); });

    auto rep = std::make_shared<BenchOptions>();
    auto* y = bench->add_subcommand("reply",
                                    "Answer requests (queue group natty-bench) until "
                                    "--msgs are answered");
    add_subject(y, *rep);
    add_common(y, *rep, "Requests to answer, by all clients together (default 100000)");
    add_size(y, *rep, "Reply with this many bytes (default: echo the request)");
    y->callback([rep, &runtime] { run_bench_reply(*rep, runtime); });

    auto kv = std::make_shared<BenchOptions>();
    auto* k = bench->add_subcommand("kv", "Put --msgs keys into a bucket, then get them back");
    add_common(k, *kv, "Keys to put and then get, shared by the clients (default 100000)");
    add_size(k, *kv, "Value size: bytes or 1KiB, 1MB... (default 128)");
    k->add_option("--bucket",
                  kv->bucket,
                  "Bucket to use; created (history 1) when missing "
                  "(default benchbucket)");
    k->add_option("--storage",
                  kv->storage,
                  "Storage of a bucket it creates: file or memory "
                  "(default file)")
        ->check(CLI::IsMember({"file", "memory"}));
    k->callback([kv, &runtime] { run_bench_kv(*kv, runtime); });
}

} // namespace natty
