#include "messaging.hpp"

#include <natty/commands/sub.hpp>
#include <natty/error.hpp>
#include <natty/nats/error.hpp>
#include <natty/nats/jetstream.hpp>
#include <natty/nats/subscription.hpp>
#include <natty/output/output.hpp>
#include <natty/util/duration.hpp>
#include <natty/util/interrupt.hpp>
#include <natty/util/subject.hpp>

#include <CLI/CLI.hpp>

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace natty {
namespace {

using Clock = std::chrono::steady_clock;
using WallClock = std::chrono::system_clock;

// nats.c's per-subscription buffer: generous so a burst is absorbed instead of dropped.
constexpr int k_pending_messages = 1'000'000;
constexpr int k_pending_bytes = 1024 * 1024 * 1024;
// natty's own hand-over queue between nats.c delivery threads and the printer.
constexpr std::size_t k_queue_capacity = 262'144;
constexpr std::chrono::milliseconds k_poll{100};
constexpr std::chrono::milliseconds k_flush_interval{250};
constexpr std::size_t k_max_tracked_requests = 100'000;
// How long Ctrl-C waits for in-flight messages to be printed (drain).
constexpr std::chrono::seconds k_drain_limit{2};
// How long output may stall after Ctrl-C before it is discarded (see StalledOutputWatchdog).
constexpr std::chrono::seconds k_stalled_output_grace{1};
// How often new slow-consumer drops are reported while sub runs.
constexpr std::chrono::seconds k_drop_report_interval{1};

// One received message and when it arrived.
struct Received {
    nats::Message msg;
    WallClock::time_point time;
};

// Hands messages from nats.c delivery threads (one per subscription) to the printing thread,
// blocking the delivery thread when full so that nats.c's own pending limit (and its
// slow-consumer accounting) takes over instead of unbounded memory growth.
class Handover {
public:
    static void
    on_message(natsConnection* /*nc*/, natsSubscription* /*sub*/, natsMsg* msg, void* closure) {
        static_cast<Handover*>(closure)->push(nats::MessageHandle(msg));
    }
    static void on_complete(void* closure) { static_cast<Handover*>(closure)->completed(); }

    void push(nats::MessageHandle msg) {
        std::unique_lock lock(m_mutex);
        m_space.wait(lock, [&] { return m_discard || m_items.size() < k_queue_capacity; });
        if (m_discard) {
            return;
        }
        m_items.push_back(Received{nats::Message(std::move(msg)), WallClock::now()});
        if (m_waiting) {
            m_ready.notify_one();
        }
    }

    // Moves everything queued into `out`, waiting up to `wait` when nothing is queued.
    void take(std::deque<Received>& out, std::chrono::milliseconds wait) {
        std::unique_lock lock(m_mutex);
        if (m_items.empty()) {
            m_waiting = true;
            m_ready.wait_for(lock, wait, [&] { return !m_items.empty() || m_done_count > 0; });
            m_waiting = false;
        }
        const bool was_full = m_items.size() >= k_queue_capacity;
        out.swap(m_items);
        if (was_full) {
            m_space.notify_all();
        }
    }

    // From now on delivery threads drop what they get and never block.
    void discard() {
        std::lock_guard lock(m_mutex);
        m_discard = true;
        m_items.clear();
        m_space.notify_all();
    }

    void expect_completion() {
        std::lock_guard lock(m_mutex);
        ++m_active;
    }
    void completed() {
        std::lock_guard lock(m_mutex);
        ++m_done_count;
        m_all_done.notify_all();
        m_ready.notify_all();
    }
    bool all_completed() {
        std::lock_guard lock(m_mutex);
        return m_done_count >= m_active;
    }
    bool wait_all_completed(std::chrono::milliseconds timeout) {
        std::unique_lock lock(m_mutex);
        return m_all_done.wait_for(lock, timeout, [&] { return m_done_count >= m_active; });
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_ready;
    std::condition_variable m_space;
    std::condition_variable m_all_done;
    std::deque<Received> m_items;
    bool m_waiting = false;
    bool m_discard = false;
    int m_active = 0;
    int m_done_count = 0;
};

// Owns the subscriptions and the hand-over queue; on destruction stops delivery and waits
// (bounded) until nats.c has finished calling back, so the queue is never used after it dies.
class SubscriptionSet {
public:
    explicit SubscriptionSet(nats::Connection& connection) : m_conn(connection) {}
    SubscriptionSet(const SubscriptionSet&) = delete;
    SubscriptionSet& operator=(const SubscriptionSet&) = delete;
    ~SubscriptionSet() {
        m_handover.discard();
        for (auto& sub : m_subs) {
            natsSubscription_Unsubscribe(sub.get());
        }
        nats_GetLastError(nullptr);
        m_handover.wait_all_completed(std::chrono::seconds(2));
    }

    void add_core(const std::string& subject, const std::string& queue) {
        natsSubscription* raw = nullptr;
        const std::string what = "subscribe to \"" + subject + "\"";
        if (queue.empty()) {
            nats::check(
                natsConnection_Subscribe(
                    &raw, m_conn.get(), subject.c_str(), &Handover::on_message, &m_handover),
                what);
        } else {
            nats::check(natsConnection_QueueSubscribe(&raw,
                                                      m_conn.get(),
                                                      subject.c_str(),
                                                      queue.c_str(),
                                                      &Handover::on_message,
                                                      &m_handover),
                        what);
        }
        adopt(nats::SubscriptionHandle(raw), subject);
    }

    void add_jetstream(nats::JetStream& js, const std::string& subject, jsSubOptions& sub_opts) {
        natsSubscription* raw = nullptr;
        jsErrCode code{};
        const natsStatus status = js_Subscribe(&raw,
                                               js.get(),
                                               subject.empty() ? nullptr : subject.c_str(),
                                               &Handover::on_message,
                                               &m_handover,
                                               nullptr,
                                               &sub_opts,
                                               &code);
        nats::check_js(status,
                       code,
                       "JetStream subscribe to stream \"" + std::string(sub_opts.Stream) + "\""
                           + (subject.empty() ? "" : " subject \"" + subject + "\""));
        adopt(nats::SubscriptionHandle(raw), subject);
    }

    Handover& handover() { return m_handover; }

    // Messages nats.c dropped (slow consumer) over all subscriptions. nats.c forgets the count
    // once a subscription is drained or closed, so the last count seen is kept.
    std::int64_t dropped() {
        std::int64_t total = 0;
        for (std::size_t i = 0; i < m_subs.size(); ++i) {
            std::int64_t n = 0;
            if (natsSubscription_GetDropped(m_subs[i].get(), &n) == NATS_OK) {
                m_dropped_seen[i] = std::max(m_dropped_seen[i], n);
            }
            total += m_dropped_seen[i];
        }
        nats_GetLastError(nullptr);
        return total;
    }

    // Stops interest; nats.c delivers what it has queued, then completes each subscription.
    void drain() {
        dropped(); // remember the count before nats.c forgets it
        for (auto& sub : m_subs) {
            natsSubscription_Drain(sub.get());
        }
        nats_GetLastError(nullptr);
    }

private:
    void adopt(nats::SubscriptionHandle sub, const std::string& subject) {
        nats::check(
            natsSubscription_SetPendingLimits(sub.get(), k_pending_messages, k_pending_bytes),
            "set pending limits on \"" + subject + "\"");
        m_handover.expect_completion();
        nats::check(
            natsSubscription_SetOnCompleteCB(sub.get(), &Handover::on_complete, &m_handover),
            "watch subscription on \"" + subject + "\"");
        m_subs.push_back(std::move(sub));
        m_dropped_seen.push_back(0);
    }

    nats::Connection& m_conn;
    Handover m_handover; // declared before m_subs: it must outlive every callback
    std::vector<nats::SubscriptionHandle> m_subs;
    std::vector<std::int64_t> m_dropped_seen; // per subscription, see dropped()
};

struct SubjectStats {
    std::uint64_t messages = 0;
    std::uint64_t bytes = 0;
};

enum class Mode { human, raw, json, dump_stdout, dump_dir };

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

// How one message is shown: its number (a matched reply reuses its request's) and, with
// --stream, where it sits in the stream (read from its reply subject once, here).
struct Shown {
    std::uint64_t number = 0;
    bool matched = false;
    std::optional<nats::JetStreamPosition> position;
};

// Prints messages in the chosen shape and keeps the statistics.
class Printer {
public:
    Printer(const SubOptions& options, Io& io, Mode mode)
        : m_options(options), m_io(io), m_mode(mode), m_start(WallClock::now()),
          m_previous(m_start) {}

    // Returns true when the message was shown (counted), false when it was ignored.
    bool handle(const Received& item) {
        const nats::Message& msg = item.msg;
        const std::string_view subject = msg.subject();
        for (const auto& pattern : m_options.ignore) {
            if (subject_matches(pattern, subject)) {
                return false;
            }
        }
        std::optional<std::uint64_t> matched;
        if (m_options.match_replies) {
            auto it = m_requests.find(std::string(subject));
            if (it != m_requests.end()) {
                matched = it->second;
                m_requests.erase(it);
            } else if (is_reply_inbox(subject)) {
                return false;
            }
        }
        const std::uint64_t n = matched ? *matched : m_count + 1;
        if (!matched) {
            ++m_count;
            if (m_options.match_replies && !msg.reply().empty()
                && m_requests.size() < k_max_tracked_requests) {
                m_requests.emplace(std::string(msg.reply()), n);
            }
        }
        auto& stats = m_stats[std::string(subject)];
        ++stats.messages;
        stats.bytes += msg.data().size();
        m_bytes += msg.data().size();
        Shown shown{n, matched.has_value(), std::nullopt};
        if (!m_options.stream.empty() && m_mode != Mode::raw) {
            shown.position = msg.jetstream_position();
        }
        errno = 0;
        switch (m_mode) {
        case Mode::human:
            print_human(item, shown);
            break;
        case Mode::raw:
            print_raw(msg.data());
            break;
        case Mode::json:
            m_io.out << to_json(item, shown) << '\n';
            break;
        case Mode::dump_stdout:
            m_io.out << to_json(item, shown) << '\0';
            break;
        case Mode::dump_dir:
            dump_file(item, shown);
            break;
        }
        m_io.check_out();
        m_previous = item.time;
        ++m_shown;
        return !matched;
    }

    // Requests and other messages numbered so far (matched replies reuse their request's).
    std::uint64_t count() const { return m_count; }
    // Every message printed, matched replies included.
    std::uint64_t shown() const { return m_shown; }
    std::uint64_t bytes() const { return m_bytes; }
    const std::unordered_map<std::string, SubjectStats>& stats() const { return m_stats; }
    WallClock::time_point start() const { return m_start; }
    void set_inbox_prefix(std::string prefix) { m_inbox_prefix = std::move(prefix) + "."; }

private:
    bool is_reply_inbox(std::string_view subject) const {
        return subject.substr(0, m_inbox_prefix.size()) == m_inbox_prefix;
    }

    void print_human(const Received& item, const Shown& shown) {
        const nats::Message& msg = item.msg;
        std::ostream& out = m_io.out;
        out << "[#" << shown.number << ']';
        if (m_options.timestamp) {
            out << " @ " << messaging::stamp_micro(item.time);
        } else if (m_options.delta_time) {
            out << " @ "
                << format_go_duration(std::chrono::duration_cast<std::chrono::microseconds>(
                       item.time - m_previous));
        }
        if (shown.matched) {
            out << " Matched reply on \"" << msg.subject() << "\"\n";
        } else if (const auto& js = shown.position) {
            out << " Received JetStream message: stream: " << js->stream
                << " seq: " << output::with_commas(js->stream_sequence)
                << " / subject: " << msg.subject()
                << " / time: " << output::rfc3339_nano_utc(js->time) << '\n';
        } else {
            out << " Received on \"" << msg.subject() << '"';
            if (!msg.reply().empty()) {
                out << " with reply \"" << msg.reply() << '"';
            }
            out << '\n';
        }
        if (m_options.subjects_only) {
            return;
        }
        const auto headers = msg.headers();
        messaging::write_header_lines(out, headers);
        if (!headers.empty() || m_options.headers_only) {
            out << '\n';
        }
        if (m_options.headers_only) {
            return;
        }
        messaging::write_human_body(m_io, msg.data());
        out << '\n';
    }

    void print_raw(std::string_view body) {
        m_io.out << body;
        if (body.empty() || body.back() != '\n') {
            m_io.out << '\n';
        }
    }

    std::string to_json(const Received& item, const Shown& shown) const {
        std::string leading = "\"number\":" + std::to_string(shown.number);
        if (shown.matched) {
            leading += ",\"matched_reply\":true";
        }
        std::string trailing;
        if (const auto& js = shown.position) {
            trailing = "\"stream\":";
            messaging::append_json_string(trailing, js->stream);
            trailing += ",\"stream_seq\":" + std::to_string(js->stream_sequence)
                        + ",\"stream_time\":\"" + output::rfc3339_nano_utc(js->time) + "\"";
        }
        return messaging::message_json(item.msg, item.time, leading, trailing);
    }

    // One file per message, mode 0600; a symlink in its place is refused (O_NOFOLLOW) and a
    // file that cannot be written completely is removed, never left half-written.
    void dump_file(const Received& item, const Shown& shown) {
        // As the Go CLI: a JetStream message is named by its stream sequence, so a dump of the
        // same stream range names the same message the same way each time.
        const std::uint64_t number = shown.position ? shown.position->stream_sequence : shown.number;
        const std::string name =
            std::to_string(number) + (shown.matched ? "_reply" : "") + ".json";
        const std::filesystem::path path = std::filesystem::path(m_options.dump) / name;
        const std::string text = to_json(item, shown) + "\n";
        const int fd =
            ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) {
            throw Error(ExitCode::failure,
                        "cannot write " + path.string() + ": " + std::strerror(errno));
        }
        std::size_t written = 0;
        while (written < text.size()) {
            const ssize_t n_written = ::write(fd, text.data() + written, text.size() - written);
            if (n_written < 0 && errno == EINTR) {
                continue;
            }
            if (n_written <= 0) {
                const int saved = errno;
                ::close(fd);
                ::unlink(path.c_str());
                throw Error(ExitCode::failure,
                            "cannot write " + path.string() + ": " + std::strerror(saved));
            }
            written += static_cast<std::size_t>(n_written);
        }
        if (::close(fd) != 0) {
            const int saved = errno;
            ::unlink(path.c_str());
            throw Error(ExitCode::failure,
                        "cannot write " + path.string() + ": " + std::strerror(saved));
        }
    }

    const SubOptions& m_options;
    Io& m_io;
    Mode m_mode;
    WallClock::time_point m_start;
    WallClock::time_point m_previous;
    std::uint64_t m_count = 0;
    std::uint64_t m_shown = 0;
    std::uint64_t m_bytes = 0;
    std::unordered_map<std::string, SubjectStats> m_stats;
    std::unordered_map<std::string, std::uint64_t> m_requests;
    std::string m_inbox_prefix = "_INBOX.";
};

void print_summary(Io& io, const Printer& printer, std::int64_t dropped) {
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(WallClock::now() - printer.start());
    io.note("Received " + output::count_of(printer.shown(), "message") + " ("
            + output::human_bytes(printer.bytes()) + ") in " + format_go_duration(elapsed)
            + " on " + output::count_of(printer.stats().size(), "subject"));
    std::vector<std::pair<std::string, SubjectStats>> rows(printer.stats().begin(),
                                                           printer.stats().end());
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
        return a.second.messages != b.second.messages ? a.second.messages > b.second.messages
                                                      : a.first < b.first;
    });
    constexpr std::size_t k_top = 20;
    for (std::size_t i = 0; i < rows.size() && i < k_top; ++i) {
        io.note("  " + rows[i].first + ": "
                + output::count_of(rows[i].second.messages, "message") + ", "
                + output::human_bytes(rows[i].second.bytes));
    }
    if (rows.size() > k_top) {
        io.note("  ... and " + std::to_string(rows.size() - k_top) + " more subjects");
    }
    if (dropped > 0) {
        io.note("Dropped " + output::with_commas(static_cast<std::uint64_t>(dropped))
                + " messages (slow consumer)");
    }
}

// Creates the --dump directory (and its parents) with mode 0700 when it does not exist. An
// existing directory is used as it is: natty never changes the mode of a directory it did not
// create (--dump /tmp must not make /tmp private).
void prepare_dump_dir(const std::filesystem::path& dir) {
    std::error_code ec;
    const auto status = std::filesystem::status(dir, ec);
    if (std::filesystem::exists(status)) {
        if (!std::filesystem::is_directory(status)) {
            throw ConfigError("--dump " + dir.string() + ": it exists and is not a directory",
                              "give a directory, or '-' to write to stdout");
        }
    } else {
        if (dir.has_parent_path()) {
            std::filesystem::create_directories(dir.parent_path(), ec);
            if (ec) {
                throw ConfigError("cannot create directory " + dir.parent_path().string() + ": "
                                  + ec.message());
            }
        }
        if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
            throw ConfigError("cannot create directory " + dir.string() + ": "
                              + std::strerror(errno));
        }
    }
    if (::access(dir.c_str(), W_OK | X_OK) != 0) {
        throw ConfigError("cannot write to --dump directory " + dir.string() + ": "
                              + std::strerror(errno),
                          "choose a directory you can write to");
    }
}

// The final word on slow-consumer losses when sub ends other than by a signal.
void report_drops(Io& io, std::int64_t dropped) {
    if (dropped > 0) {
        io.note("natty: warning: "
                + output::count_of(static_cast<std::uint64_t>(dropped), "message")
                + " dropped because natty could not keep up (slow consumer)");
    }
}

// After Ctrl-C a write to stdout can block for good (a reader that stopped reading: a paused
// pager, a stalled pipe or FIFO) and keep natty from printing its summary and exiting. Once a
// signal has arrived, this gives the main thread k_stalled_output_grace to get through its
// writes; then it points stdout at /dev/null and interrupts the blocked write (the handler is
// installed without SA_RESTART; the retried write goes to /dev/null), so the summary and exit
// code still come.
class StalledOutputWatchdog {
public:
    StalledOutputWatchdog(const InterruptGuard& interrupt, Io& io)
        : m_interrupt(interrupt), m_io(io), m_main(::pthread_self()),
          m_thread([this] { watch(); }) {}
    StalledOutputWatchdog(const StalledOutputWatchdog&) = delete;
    StalledOutputWatchdog& operator=(const StalledOutputWatchdog&) = delete;
    ~StalledOutputWatchdog() { stop(); }

    // Called by the main thread once it is done writing to stdout.
    void stop() {
        {
            std::lock_guard lock(m_mutex);
            m_stopped = true;
        }
        m_cv.notify_all();
        if (m_thread.joinable()) {
            m_thread.join();
        }
    }

private:
    void watch() {
        std::unique_lock lock(m_mutex);
        while (!m_stopped && !m_interrupt.requested()) {
            m_cv.wait_for(lock, k_poll);
        }
        if (m_cv.wait_for(lock, k_stalled_output_grace, [&] { return m_stopped; })) {
            return;
        }
        m_io.note("natty: stdout is not being read; discarding the rest of the output");
        const int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (devnull >= 0) {
            ::dup2(devnull, STDOUT_FILENO);
            ::close(devnull);
        }
        while (!m_stopped) {
            ::pthread_kill(m_main, m_interrupt.signal_number());
            m_cv.wait_for(lock, k_poll);
        }
    }

    const InterruptGuard& m_interrupt;
    Io& m_io;
    pthread_t m_main;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_stopped = false;
    std::thread m_thread; // last: starts after everything it uses
};

void configure_jetstream(const SubOptions& o, jsSubOptions& sub_opts) {
    jsSubOptions_Init(&sub_opts);
    sub_opts.Stream = o.stream.c_str();
    sub_opts.Ordered = true;
    if (o.new_only) {
        sub_opts.Config.DeliverPolicy = js_DeliverNew;
    } else if (o.last) {
        sub_opts.Config.DeliverPolicy = js_DeliverLast;
    } else if (!o.since.empty()) {
        sub_opts.Config.DeliverPolicy = js_DeliverByStartTime;
        const auto start = WallClock::now() - parse_duration(o.since, "--since");
        sub_opts.Config.OptStartTime =
            std::chrono::duration_cast<std::chrono::nanoseconds>(start.time_since_epoch()).count();
    } else if (o.start_sequence) {
        sub_opts.Config.DeliverPolicy = js_DeliverByStartSequence;
        sub_opts.Config.OptStartSeq = *o.start_sequence;
    } else {
        sub_opts.Config.DeliverPolicy = js_DeliverAll;
    }
}

// The stream's information; a missing stream is "not found" (exit 7) whether or not a subject
// was given (js_Subscribe alone would report it as a plain failure).
nats::StreamInfoHandle stream_info(nats::JetStream& js, const std::string& stream) {
    jsStreamInfo* raw = nullptr;
    jsErrCode code{};
    const natsStatus status = js_GetStreamInfo(&raw, js.get(), stream.c_str(), nullptr, &code);
    nats::StreamInfoHandle info(raw);
    if (status == NATS_NOT_FOUND) {
        nats_GetLastError(nullptr);
        throw Error(ExitCode::not_found,
                    "stream \"" + stream + "\" not found",
                    "check the name (stream names are case-sensitive) and the account");
    }
    nats::check_js(status, code, "look up stream \"" + stream + "\"");
    return info;
}

// The subject filter for `--stream S` without a subject: the stream's only subject.
std::string only_subject_of(const jsStreamInfo& info, const std::string& stream) {
    if (info.Config == nullptr || info.Config->SubjectsLen != 1) {
        throw UsageError("stream \"" + stream + "\" does not have exactly one subject",
                         "give the subject to read, e.g. natty sub --stream " + stream
                             + " 'orders.>'");
    }
    return info.Config->Subjects[0];
}

} // namespace

void run_sub(const SubOptions& options, Runtime& runtime) {
    validate(options);
    Io& io = runtime.io();
    const Duration wait =
        options.wait.empty() ? Duration::zero() : parse_duration(options.wait, "--wait");
    Mode mode = Mode::human;
    if (options.raw) {
        mode = Mode::raw;
    } else if (options.json) {
        mode = Mode::json;
    } else if (options.dump == "-") {
        mode = Mode::dump_stdout;
    } else if (!options.dump.empty()) {
        mode = Mode::dump_dir;
        prepare_dump_dir(options.dump);
    }
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
    jsSubOptions js_opts;
    if (!options.stream.empty()) {
        js.emplace(connection);
        configure_jetstream(options, js_opts);
        const auto info = stream_info(*js, options.stream);
        if (subjects.empty()) {
            subjects.push_back(only_subject_of(*info, options.stream));
        }
        subs.add_jetstream(*js, subjects.front(), js_opts);
        io.note("Subscribing to stream " + options.stream
                + (subjects.empty() ? std::string() : " subject " + subjects.front()));
    } else {
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
    messaging::flush_and_raise(connection, "subscribe");

    Printer printer(options, io, mode);
    printer.set_inbox_prefix(prefix);
    StalledOutputWatchdog watchdog(interrupt, io);
    std::deque<Received> batch;
    auto last_message = Clock::now();
    auto last_flush = Clock::now();
    auto last_drop_check = Clock::now();
    std::int64_t drops_reported = 0;
    bool done = false;
    bool dirty = false;
    auto flush = [&] {
        if (dirty) {
            errno = 0;
            io.flush_out();
            dirty = false;
        }
        last_flush = Clock::now();
    };
    auto reached_count = [&] {
        return options.count && printer.shown() >= static_cast<std::uint64_t>(*options.count);
    };

    try {
        while (!done && !interrupt.requested()) {
            if (Clock::now() - last_drop_check >= k_drop_report_interval) {
                last_drop_check = Clock::now();
                const std::int64_t dropped = subs.dropped();
                if (dropped > drops_reported) {
                    io.note("natty: warning: slow consumer: "
                            + output::count_of(static_cast<std::uint64_t>(dropped), "message")
                            + " dropped so far");
                    drops_reported = dropped;
                }
            }
            subs.handover().take(batch, k_poll);
            if (batch.empty()) {
                flush();
                if (Io::stdout_reader_gone()) {
                    throw BrokenPipe();
                }
                messaging::raise_async_error(connection, "subscription");
                messaging::raise_if_closed(connection, "subscription");
                if (wait > Duration::zero() && Clock::now() - last_message >= wait) {
                    break;
                }
                continue;
            }
            last_message = Clock::now();
            while (!batch.empty()) {
                const Received item = std::move(batch.front());
                batch.pop_front();
                printer.handle(item);
                dirty = true;
                if (reached_count()) {
                    done = true;
                    break;
                }
            }
            batch.clear();
            if (Clock::now() - last_flush >= k_flush_interval) {
                flush();
            }
        }

        if (interrupt.requested() && !done) {
            // Drain: stop interest, print what nats.c already had, then summarise. Without a
            // connection a drain cannot complete, so only what is already queued is printed.
            const bool connected =
                natsConnection_Status(connection.get()) == NATS_CONN_STATUS_CONNECTED;
            if (connected) {
                subs.drain();
            }
            const auto deadline = Clock::now() + k_drain_limit;
            while (!reached_count() && Clock::now() < deadline) {
                subs.handover().take(batch, std::chrono::milliseconds(20));
                if (batch.empty() && (!connected || subs.handover().all_completed())) {
                    break;
                }
                for (auto& item : batch) {
                    printer.handle(item);
                    dirty = true;
                    if (reached_count()) {
                        break;
                    }
                }
                batch.clear();
            }
        }
        flush();
    } catch (const BrokenPipe&) {
        // The reader went away: end quietly, but never hide messages that were lost.
        report_drops(io, subs.dropped());
        throw;
    }
    watchdog.stop();
    const std::int64_t dropped = subs.dropped();
    if (interrupt.requested() && !done) {
        print_summary(io, printer, dropped);
        throw SilentExit(ExitCode::interrupted);
    }
    report_drops(io, dropped);
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
    cmd->add_option("--count", o->count, "Exit 0 after this many messages");
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
    cmd->add_option("--start-sequence", o->start_sequence, "From this stream sequence")->group(js);
    cmd->callback([o, &runtime] { run_sub(*o, runtime); });
}

} // namespace natty
