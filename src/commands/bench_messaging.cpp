// bench pub, sub, request and reply: core NATS throughput and request latency.

#include "bench_common.hpp"
#include "messaging.hpp"

#include <natty/commands/bench.hpp>
#include <natty/commands/runtime.hpp>
#include <natty/error.hpp>
#include <natty/nats/error.hpp>
#include <natty/nats/publish.hpp>
#include <natty/nats/request.hpp>
#include <natty/nats/subscription.hpp>
#include <natty/output/output.hpp>
#include <natty/util/subject.hpp>

#include <limits>

namespace natty {
namespace {

using bench::Clock;

constexpr std::chrono::milliseconds k_poll{100};
// How often a client publishes its count for the progress bar.
constexpr std::uint64_t k_progress_every = 1024;
// nats.c's buffer per benchmark subscription: generous, so drops mean a real shortfall.
constexpr int k_pending_messages = 1'000'000;
constexpr int k_pending_bytes = 1024 * 1024 * 1024;
// The queue group bench reply answers in.
const std::string k_reply_queue = "natty-bench";

std::uint64_t limit_of(const std::optional<std::uint64_t>& msgs) {
    return msgs.value_or(std::numeric_limits<std::uint64_t>::max());
}

// This client's part of --msgs, or no limit with --duration alone.
std::optional<std::uint64_t> share(const bench::Plan& plan, std::size_t client) {
    if (!plan.msgs) {
        return std::nullopt;
    }
    return bench::share_of(*plan.msgs, plan.clients, client);
}

bench::Report
report_for(const std::string& benchmark, const std::string& subject, const bench::Plan& plan) {
    bench::Report report;
    report.benchmark = benchmark;
    report.target_key = "subject";
    report.target = subject;
    report.size = plan.size;
    report.clients = plan.clients;
    return report;
}

// Publishes up to `limit` messages, then flushes: the time includes the server taking them.
void publish_client(nats::Connection& connection,
                    const std::string& subject,
                    const std::string& data,
                    std::uint64_t limit,
                    bench::Control& control,
                    std::size_t client,
                    bench::ClientResult& result) {
    const std::string no_reply;
    std::uint64_t sent = 0;
    result.first = Clock::now();
    while (sent < limit && !control.stopped()) {
        nats::publish(connection, subject, no_reply, data);
        ++sent;
        if (sent % k_progress_every == 0) {
            control.progress(client, sent);
        }
    }
    messaging::flush_and_raise(connection, "publish to \"" + subject + "\"");
    result.last = Clock::now();
    result.msgs = sent;
    result.bytes = sent * data.size();
    control.progress(client, sent);
}

// Receives until `limit` messages have arrived or been dropped.
void receive_client(nats::Connection& connection,
                    nats::Subscription& sub,
                    std::uint64_t limit,
                    bench::Control& control,
                    std::size_t client,
                    bench::ClientResult& result) {
    while (!control.stopped() && result.msgs + result.dropped < limit) {
        auto msg = sub.next(k_poll);
        if (!msg) {
            result.dropped = static_cast<std::uint64_t>(sub.dropped());
            if (sub.finished()) {
                nats::raise_if_closed(connection, "subscribe to \"" + sub.subject() + "\"");
                break;
            }
            continue;
        }
        result.count(msg->data().size(), Clock::now());
        if (result.msgs % k_progress_every == 0) {
            control.progress(client, result.msgs);
            result.dropped = static_cast<std::uint64_t>(sub.dropped());
        }
    }
    result.dropped = static_cast<std::uint64_t>(sub.dropped());
    control.progress(client, result.msgs);
}

// Sends requests one after another, timing each round trip.
void request_client(nats::Connection& connection,
                    const std::string& subject,
                    const std::string& data,
                    std::uint64_t limit,
                    bench::Control& control,
                    std::size_t client,
                    bench::ClientResult& result) {
    const Duration timeout = connection.spec().timeout;
    while (result.msgs < limit && !control.stopped()) {
        const auto start = Clock::now();
        try {
            nats::request(connection, subject, data, timeout);
        } catch (const nats::NatsError& e) {
            if (control.stopped() && e.timed_out()) {
                break; // Ctrl-C while waiting: report what was measured, as the help says
            }
            if (!e.no_responders()) {
                throw;
            }
            throw Error(ExitCode::not_found,
                        "no responders on \"" + subject + "\"",
                        "start `natty bench reply " + subject + "` (or another service) first");
        }
        const auto end = Clock::now();
        if (!result.first) {
            result.first = start;
        }
        result.count(data.size(), end);
        result.latency.record(static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count()));
        control.progress(client, result.msgs);
    }
}

// Answers requests with `data`, or echoes them when it is nullopt, until `served` reaches
// `limit` across the clients.
void reply_client(nats::Connection& connection,
                  nats::Subscription& sub,
                  const std::optional<std::string>& data,
                  std::uint64_t limit,
                  std::atomic<std::uint64_t>& served,
                  bench::Control& control,
                  std::size_t client,
                  bench::ClientResult& result) {
    const std::string no_reply;
    while (!control.stopped()) {
        auto msg = sub.next(k_poll);
        if (!msg) {
            if (sub.finished()) {
                nats::raise_if_closed(connection, "reply on \"" + sub.subject() + "\"");
                break;
            }
            continue;
        }
        if (!msg->reply().empty()) {
            const std::string_view body = data ? std::string_view(*data) : msg->data();
            nats::publish(connection, std::string(msg->reply()), no_reply, body);
            result.count(body.size(), Clock::now());
        }
        control.progress(client, result.msgs);
        if (served.fetch_add(1) + 1 >= limit) {
            control.stop();
        }
    }
    messaging::flush_and_raise(connection, "reply on \"" + sub.subject() + "\"");
}

// Subscribes every client (nats.c buffers generously) and makes sure the server knows.
std::vector<nats::Subscription> subscribe_all(std::deque<nats::Connection>& connections,
                                              const std::string& subject,
                                              const std::string& queue) {
    std::vector<nats::Subscription> subs;
    for (auto& connection : connections) {
        subs.push_back(nats::Subscription::subscribe(connection, subject, queue));
        subs.back().set_pending_limits(k_pending_messages, k_pending_bytes);
    }
    for (auto& connection : connections) {
        messaging::flush_and_raise(connection, "subscribe to \"" + subject + "\"");
    }
    return subs;
}

} // namespace

namespace {

// What tells bench pub and bench request apart: each client sends its share of --msgs payloads
// of --size bytes with `send`; requests are round trips, timed and sent at once.
struct Sender {
    const char* name; // the benchmark and its phase
    const char* unit; // what the progress bar counts
    bool round_trips; // latency recorded, publishes not batched by nats.c's flusher
    void (*send)(nats::Connection&,
                 const std::string&,
                 const std::string&,
                 std::uint64_t,
                 bench::Control&,
                 std::size_t,
                 bench::ClientResult&);
};

void run_senders(const BenchOptions& options, Runtime& runtime, const Sender& sender) {
    Io& io = runtime.io();
    require_publish_subject(options.subject, "subject");
    const bench::Plan plan = bench::check_plan(options);
    auto connections = bench::connect_clients(runtime, plan.clients, sender.round_trips);
    bench::check_size(*plan.size, connections.front());
    InterruptGuard interrupt;
    const std::string data = bench::payload(*plan.size);
    auto report = report_for(sender.name, options.subject, plan);
    report.phases.push_back(
        {sender.name, std::vector<bench::ClientResult>(plan.clients), sender.round_trips});
    auto& results = report.phases.back().clients;
    bench::run_clients(
        io,
        plan.clients,
        [&](std::size_t i, bench::Control& control) {
            sender.send(connections[i],
                        options.subject,
                        data,
                        limit_of(share(plan, i)),
                        control,
                        i,
                        results[i]);
        },
        {sender.unit, plan.msgs, plan.duration, bench::want_progress(io, options)},
        interrupt);
    bench::finish(io, report, options, interrupt);
}

} // namespace

void run_bench_pub(const BenchOptions& options, Runtime& runtime) {
    run_senders(options, runtime, {"pub", "msgs", false, publish_client});
}

void run_bench_sub(const BenchOptions& options, Runtime& runtime) {
    Io& io = runtime.io();
    require_subscribe_subject(options.subject, "subject");
    const bench::Plan plan =
        bench::check_plan(options, /*size_defaults=*/true, /*per_client_msgs=*/true);
    auto connections = bench::connect_clients(runtime, plan.clients);
    InterruptGuard interrupt;
    auto subs = subscribe_all(connections, options.subject, "");
    io.note("Listening on \"" + options.subject + "\" with "
            + output::count_of(plan.clients, "client")
            + (plan.msgs ? ", each waiting for " + output::count_of(*plan.msgs, "message") : ""));
    auto report = report_for("sub", options.subject, plan);
    report.size.reset(); // sizes are whatever the publishers send
    report.phases.push_back({"sub", std::vector<bench::ClientResult>(plan.clients), false});
    auto& results = report.phases.back().clients;
    std::optional<std::uint64_t> total;
    if (plan.msgs) {
        total = *plan.msgs * plan.clients;
    }
    bench::run_clients(
        io,
        plan.clients,
        [&](std::size_t i, bench::Control& control) {
            receive_client(connections[i], subs[i], limit_of(plan.msgs), control, i, results[i]);
        },
        {"msgs", total, plan.duration, bench::want_progress(io, options)},
        interrupt);
    bench::finish(io, report, options, interrupt);
}

void run_bench_request(const BenchOptions& options, Runtime& runtime) {
    run_senders(options, runtime, {"request", "requests", true, request_client});
}

void run_bench_reply(const BenchOptions& options, Runtime& runtime) {
    Io& io = runtime.io();
    require_subscribe_subject(options.subject, "subject");
    const bench::Plan plan = bench::check_plan(options, /*size_defaults=*/false);
    // Each reply goes out at once: nats.c's flusher would add about a millisecond to each.
    auto connections = bench::connect_clients(runtime, plan.clients, /*send_asap=*/true);
    std::optional<std::string> data;
    if (plan.size) {
        bench::check_size(*plan.size, connections.front());
        data = bench::payload(*plan.size);
    }
    InterruptGuard interrupt;
    auto subs = subscribe_all(connections, options.subject, k_reply_queue);
    io.note("Listening on \"" + options.subject + "\" in group \"" + k_reply_queue + "\" with "
            + output::count_of(plan.clients, "client")
            + (plan.msgs ? ", answering " + output::count_of(*plan.msgs, "request") : ""));
    auto report = report_for("reply", options.subject, plan);
    report.phases.push_back({"reply", std::vector<bench::ClientResult>(plan.clients), false});
    auto& results = report.phases.back().clients;
    std::atomic<std::uint64_t> served{0};
    bench::run_clients(
        io,
        plan.clients,
        [&](std::size_t i, bench::Control& control) {
            reply_client(
                connections[i], subs[i], data, limit_of(plan.msgs), served, control, i, results[i]);
        },
        {"requests", plan.msgs, plan.duration, bench::want_progress(io, options)},
        interrupt);
    bench::finish(io, report, options, interrupt);
}

} // namespace natty
