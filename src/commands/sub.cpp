#include "messaging.hpp"
#include "sub_delivery.hpp"
#include "sub_print.hpp"

#include <natty/commands/sub.hpp>
#include <natty/commands/options.hpp>
#include <natty/error.hpp>
#include <natty/nats/consumer.hpp>
#include <natty/nats/jetstream.hpp>
#include <natty/output/output.hpp>
#include <natty/util/duration.hpp>
#include <natty/util/interrupt.hpp>
#include <natty/util/subject.hpp>

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdint>
#include <deque>
#include <optional>

namespace natty {

using sub_detail::Clock;
using sub_detail::k_poll;
using sub_detail::Mode;
using sub_detail::Printer;
using sub_detail::Received;
using sub_detail::StalledOutputWatchdog;
using sub_detail::SubscriptionSet;
using sub_detail::WallClock;

namespace {

constexpr std::chrono::milliseconds k_flush_interval{250};
// How long Ctrl-C waits for in-flight messages to be printed (drain).
constexpr std::chrono::seconds k_drain_limit{2};
// How often new slow-consumer drops are reported while sub runs.
constexpr std::chrono::seconds k_drop_report_interval{1};

void validate(const SubOptions& o) {
    if (o.subjects.empty() && !o.inbox && o.stream.empty()) {
        throw UsageError("no subject to subscribe to",
                         "give one or more subjects, e.g. natty sub 'orders.>', or use --inbox "
                         "or --stream");
    }
    for (const auto& subject : o.subjects) {
        require_subscribe_subject(subject, "subject");
    }
    for (const auto& subject : o.ignore) {
        require_subscribe_subject(subject, "--ignore-subject");
    }
    if (!o.queue.empty()) {
        require_queue_name(o.queue, "--queue name");
    }
    if (o.count && *o.count < 1) {
        throw UsageError("--count must be at least 1, got " + std::to_string(*o.count),
                         "leave --count out to receive until Ctrl-C");
    }
    const int formats = (o.raw ? 1 : 0) + (o.json ? 1 : 0) + (!o.dump.empty() ? 1 : 0);
    if (formats > 1) {
        throw UsageError("--raw, --json and --dump cannot be combined", "pick one output format");
    }
    if ((o.headers_only || o.subjects_only) && formats > 0) {
        throw UsageError("--headers-only and --subjects-only only apply to the default view");
    }
    if (o.headers_only && o.subjects_only) {
        throw UsageError("--headers-only and --subjects-only cannot be combined");
    }
    if (o.timestamp && o.delta_time) {
        throw UsageError("--timestamp and --delta-time cannot be combined");
    }
    const bool js = !o.stream.empty();
    const int policies = (o.all ? 1 : 0) + (o.new_only ? 1 : 0) + (o.last ? 1 : 0)
                         + (!o.since.empty() ? 1 : 0) + (o.start_sequence ? 1 : 0);
    if (policies > 0 && !js) {
        throw UsageError("--all, --new, --last, --since and --start-sequence need --stream");
    }
    if (policies > 1) {
        throw UsageError("choose one of --all, --new, --last, --since, --start-sequence");
    }
    if (o.start_sequence && *o.start_sequence == 0) {
        throw UsageError("--start-sequence must be at least 1",
                         "stream sequences start at 1; use --all to read from the first message");
    }
    if (js && (o.subjects.size() > 1 || !o.queue.empty() || o.inbox || o.match_replies)) {
        throw UsageError("--stream takes at most one subject and no --queue, --inbox or "
                         "--match-replies");
    }
    if (o.inbox && (o.dump == "-" || !o.subjects.empty())) {
        throw UsageError("--inbox subscribes to a new inbox: give no subjects and no --dump -");
    }
    if (!o.since.empty()) {
        parse_duration(o.since, "--since");
    }
    if (!o.wait.empty()) {
        parse_duration(o.wait, "--wait");
    }
}

Mode choose_mode(const SubOptions& options) {
    if (options.raw) {
        return Mode::raw;
    }
    if (options.json) {
        return Mode::json;
    }
    if (options.dump == "-") {
        return Mode::dump_stdout;
    }
    if (!options.dump.empty()) {
        sub_detail::prepare_dump_dir(options.dump);
        return Mode::dump_dir;
    }
    return Mode::human;
}

nats::OrderedConsumerConfig ordered_consumer(const SubOptions& o) {
    nats::OrderedConsumerConfig config;
    config.stream = o.stream;
    if (o.new_only) {
        config.deliver = nats::DeliverPolicy::new_only;
    } else if (o.last) {
        config.deliver = nats::DeliverPolicy::last;
    } else if (!o.since.empty()) {
        config.deliver = nats::DeliverPolicy::by_start_time;
        config.start_time = WallClock::now() - parse_duration(o.since, "--since");
    } else if (o.start_sequence) {
        config.deliver = nats::DeliverPolicy::by_start_sequence;
        config.start_sequence = *o.start_sequence;
    } else {
        config.deliver = nats::DeliverPolicy::all;
    }
    return config;
}

// Subscribes to --stream through an ordered consumer. A missing stream is "not found" (exit 7)
// whether or not a subject was given (the subscribe alone would report it as a plain failure);
// without a subject the stream's only subject is read.
void subscribe_stream(const SubOptions& options,
                      std::vector<std::string>& subjects,
                      nats::JetStream& js,
                      SubscriptionSet& subs,
                      Io& io) {
    nats::OrderedConsumerConfig config = ordered_consumer(options);
    const auto stream_subjects = nats::stream_subjects(js, options.stream);
    if (!stream_subjects) {
        throw Error(ExitCode::not_found,
                    "stream \"" + options.stream + "\" not found",
                    "check the name (stream names are case-sensitive) and the account");
    }
    if (subjects.empty()) {
        if (stream_subjects->size() != 1) {
            throw UsageError("stream \"" + options.stream + "\" does not have exactly one subject",
                             "give the subject to read, e.g. natty sub --stream " + options.stream
                                 + " 'orders.>'");
        }
        subjects.push_back(stream_subjects->front());
    }
    config.subject = subjects.front();
    subs.add_jetstream(js, config);
    io.note("Subscribing to stream " + options.stream
            + (subjects.empty() ? std::string() : " subject " + subjects.front()));
}

// Subscribes to each subject (in the --queue group) and, with --match-replies, to the inbox
// prefix.
void subscribe_core(const SubOptions& options,
                    const std::vector<std::string>& subjects,
                    const std::string& prefix,
                    SubscriptionSet& subs,
                    Io& io) {
    std::string list;
    for (const auto& subject : subjects) {
        subs.add_core(subject, options.queue);
        list += (list.empty() ? "" : ", ") + subject;
    }
    if (options.match_replies) {
        subs.add_core(prefix + ".>", "");
    }
    io.note("Subscribing on " + list
            + (options.queue.empty() ? std::string() : " in queue group " + options.queue)
            + (options.match_replies ? " (matching replies on " + prefix + ".>)" : ""));
}

// The printing thread: takes what the delivery thread handed over, prints it, flushes now and
// then, and decides when to stop.
class Receiver {
public:
    Receiver(const SubOptions& options,
             Io& io,
             nats::Connection& connection,
             SubscriptionSet& subs,
             Printer& printer,
             Duration wait)
        : m_options(options), m_io(io), m_connection(connection), m_subs(subs), m_printer(printer),
          m_wait(wait) {}

    // Prints until --count, --wait or a signal; throws when the connection or stdout fails.
    void receive(const InterruptGuard& interrupt) {
        while (!m_done && !interrupt.requested()) {
            report_new_drops();
            m_subs.handover().take(m_batch, k_poll);
            if (m_batch.empty()) {
                if (idle()) {
                    break;
                }
                continue;
            }
            m_last_message = Clock::now();
            print_batch();
            if (Clock::now() - m_last_flush >= k_flush_interval) {
                flush();
            }
        }
    }

    // After a signal: stop interest, print what nats.c already had, within k_drain_limit.
    // Without a connection a drain cannot complete, so only what is already queued is printed.
    void drain() {
        const bool connected = m_connection.is_connected();
        if (connected) {
            m_subs.drain();
        }
        const auto deadline = Clock::now() + k_drain_limit;
        while (!reached_count() && Clock::now() < deadline) {
            m_subs.handover().take(m_batch, std::chrono::milliseconds(20));
            if (m_batch.empty() && (!connected || m_subs.handover().all_completed())) {
                break;
            }
            for (auto& item : m_batch) {
                m_printer.handle(item);
                m_dirty = true;
                if (reached_count()) {
                    break;
                }
            }
            m_batch.clear();
        }
    }

    void flush() {
        if (m_dirty) {
            errno = 0;
            m_io.flush_out();
            m_dirty = false;
        }
        m_last_flush = Clock::now();
    }

    // True once --count messages were printed.
    bool done() const { return m_done; }

private:
    bool reached_count() const {
        return m_options.count && m_printer.shown() >= static_cast<std::uint64_t>(*m_options.count);
    }

    // Warns about new slow-consumer drops, at most every k_drop_report_interval.
    void report_new_drops() {
        if (Clock::now() - m_last_drop_check < k_drop_report_interval) {
            return;
        }
        m_last_drop_check = Clock::now();
        const std::int64_t dropped = m_subs.dropped();
        if (dropped > m_drops_reported) {
            m_io.note("natty: warning: slow consumer: "
                      + output::count_of(static_cast<std::uint64_t>(dropped), "message")
                      + " dropped so far");
            m_drops_reported = dropped;
        }
    }

    // Nothing arrived for a poll: flush and check the reader, the connection and --wait;
    // true when --wait has run out.
    bool idle() {
        flush();
        if (m_io.stdout_reader_gone()) {
            throw BrokenPipe();
        }
        nats::raise_async_error(m_connection, "subscription");
        nats::raise_if_closed(m_connection, "subscription");
        return m_wait > Duration::zero() && Clock::now() - m_last_message >= m_wait;
    }

    void print_batch() {
        while (!m_batch.empty()) {
            const Received item = std::move(m_batch.front());
            m_batch.pop_front();
            m_printer.handle(item);
            m_dirty = true;
            if (reached_count()) {
                m_done = true;
                break;
            }
        }
        m_batch.clear();
    }

    const SubOptions& m_options;
    Io& m_io;
    nats::Connection& m_connection;
    SubscriptionSet& m_subs;
    Printer& m_printer;
    Duration m_wait;
    std::deque<Received> m_batch;
    Clock::time_point m_last_message = Clock::now();
    Clock::time_point m_last_flush = Clock::now();
    Clock::time_point m_last_drop_check = Clock::now();
    std::int64_t m_drops_reported = 0;
    bool m_done = false;
    bool m_dirty = false;
};

} // namespace

void run_sub(const SubOptions& options, Runtime& runtime) {
    validate(options);
    Io& io = runtime.io();
    const Duration wait =
        options.wait.empty() ? Duration::zero() : parse_duration(options.wait, "--wait");
    const Mode mode = choose_mode(options);
    const std::string prefix = messaging::inbox_prefix(runtime.settings());
    std::vector<std::string> subjects = options.subjects;
    if (options.inbox) {
        subjects.push_back(messaging::new_inbox(prefix));
    }

    const messaging::UntiedErr untied(io);
    InterruptGuard interrupt;
    auto connection = runtime.connect(/*reconnect=*/true);
    SubscriptionSet subs(connection);
    std::optional<nats::JetStream> js;
    if (!options.stream.empty()) {
        js.emplace(connection);
        subscribe_stream(options, subjects, *js, subs, io);
    } else {
        subscribe_core(options, subjects, prefix, subs, io);
    }
    messaging::flush_and_raise(connection, "subscribe");

    Printer printer(options, io, mode);
    printer.set_inbox_prefix(prefix);
    StalledOutputWatchdog watchdog(interrupt, io);
    Receiver receiver(options, io, connection, subs, printer, wait);
    try {
        receiver.receive(interrupt);
        if (interrupt.requested() && !receiver.done()) {
            receiver.drain();
        }
        receiver.flush();
    } catch (const BrokenPipe&) {
        // The reader went away: end quietly, but never hide messages that were lost.
        sub_detail::report_drops(io, subs.dropped());
        throw;
    }
    watchdog.stop();
    const std::int64_t dropped = subs.dropped();
    if (interrupt.requested() && !receiver.done()) {
        sub_detail::print_summary(io, printer, dropped);
        throw SilentExit(interrupt.exit_code());
    }
    sub_detail::report_drops(io, dropped);
}

void setup_sub(CLI::App& app, Runtime& runtime) {
    auto o = std::make_shared<SubOptions>();
    auto* cmd = app.add_subcommand(
        "sub",
        "Subscribe and print messages, e.g.\n"
        "  natty sub 'orders.>'\n"
        "  natty sub 'orders.>' --json | jq .data\n"
        "  natty sub orders.new --count 10 --raw > ten.txt\n"
        "Ctrl-C prints a summary on stderr and exits 130 (0 after --count/--wait)");
    cmd->alias("subscribe");
    cmd->add_option("subjects", o->subjects, "Subjects (wildcards * and > allowed)");
    cmd->add_option("--queue", o->queue, "Queue group to join");
    cmd->add_option("--count", o->count, "Exit 0 after this many messages")
        ->transform(whole_number({1, static_cast<std::uint64_t>(INT64_MAX)}));
    cmd->add_option("--wait", o->wait, "Exit 0 after this long without messages, e.g. 5s");
    cmd->add_flag("-r,--raw", o->raw, "Print only bodies (exact bytes, newline added)");
    cmd->add_flag("--json", o->json, "One JSON object per message (JSON Lines)");
    cmd->add_flag("--headers-only", o->headers_only, "Print headers but not bodies");
    cmd->add_flag("--subjects-only", o->subjects_only, "Print only the subject line");
    cmd->add_flag("-t,--timestamp", o->timestamp, "Show when each message arrived");
    cmd->add_flag("-d,--delta-time", o->delta_time, "Show time since the previous message");
    cmd->add_flag("--match-replies",
                  o->match_replies,
                  "Also show replies to the requests seen (subscribes to the inbox prefix)");
    cmd->add_flag("-i,--inbox", o->inbox, "Subscribe to a new inbox subject");
    cmd->add_option("-I,--ignore-subject", o->ignore, "Skip messages on these subjects")
        ->delimiter(',');
    cmd->add_option("--dump",
                    o->dump,
                    "Write each message as JSON: DIR/<n>.json (<stream seq>.json with "
                    "--stream), or '-' for JSON+NUL on stdout");
    const std::string js = "JetStream";
    cmd->add_option("--stream", o->stream, "Read from this JetStream stream (ordered consumer)")
        ->group(js);
    cmd->add_flag("--all", o->all, "From the first message in the stream (default)")->group(js);
    cmd->add_flag("--new", o->new_only, "Only messages stored from now on")->group(js);
    cmd->add_flag("--last", o->last, "From the last message in the stream")->group(js);
    cmd->add_option("--since", o->since, "Messages stored in the last DUR, e.g. 1h")->group(js);
    cmd->add_option("--start-sequence", o->start_sequence, "From this stream sequence")
        ->transform(whole_number({1, static_cast<std::uint64_t>(INT64_MAX)}))
        ->group(js);
    cmd->callback([o, &runtime] { run_sub(*o, runtime); });
}

} // namespace natty
