// `natty kv watch`: current values, then every change, across reconnects and node failures.

#include "kv_common.hpp"

#include <natty/commands/kv.hpp>
#include <natty/error.hpp>
#include <natty/nats/kv.hpp>
#include <natty/output/output.hpp>
#include <natty/util/interrupt.hpp>
#include <natty/util/time.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace natty {
namespace {

using kv_common::in_quotes;
using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds k_poll{250};
// Silence after which the watch asks the server whether its consumer still exists, and how
// long it waits for the answer. A consumer whose node died delivers nothing and nats.c notices
// only after two missed 5 s heartbeats; every second of blackout may be revisions that the
// bucket's history limit discards before the watch can resume. A needless resume costs nothing:
// revisions already printed are dropped.
constexpr std::chrono::seconds k_probe_after{2};
constexpr std::chrono::seconds k_probe_timeout{1};
constexpr std::chrono::seconds k_resume_retry{1};

nats::KvStart start_of(const KvWatchOptions& options) {
    const int starts =
        (options.updates_only ? 1 : 0) + (options.history ? 1 : 0) + (options.revision > 0 ? 1 : 0);
    if (starts > 1) {
        throw UsageError("--updates, --history and --revision choose where the watch starts; "
                         "give only one of them");
    }
    if (options.updates_only) {
        return nats::KvStart::new_only;
    }
    if (options.history) {
        return nats::KvStart::all;
    }
    return options.revision > 0 ? nats::KvStart::revision : nats::KvStart::last_per_key;
}

// One running watch. Every revision is printed at most once and in order: the consumer is
// recreated from the revision after the last one seen whenever it fails or goes missing, and
// anything at or below that revision (a redelivery) is dropped.
class Watch {
public:
    Watch(const KvWatchOptions& options, Runtime& runtime, const InterruptGuard& guard)
        : m_options(options), m_io(runtime.io()), m_guard(guard),
          m_session(runtime, /*reconnect=*/true) {
        kv_common::bucket_info(m_session.js, options.bucket);
        m_stream.emplace(
            m_session.js, options.bucket, options.filter, start_of(options), options.revision);
        if (options.revision > 0) {
            m_last_revision = options.revision - 1;
        }
        m_reconnects = m_session.connection.reconnect_count();
        m_last_activity = Clock::now();
    }

    // Runs until a signal arrives; throws when the bucket is deleted or stdout's reader leaves.
    void run() {
        while (!m_guard.requested()) {
            if (m_resume_needed) {
                try_resume();
            } else {
                step();
            }
        }
        m_io.flush_out();
    }

    std::string summary() const {
        return output::count_of(m_printed, "change") + " printed, last revision "
               + std::to_string(m_last_revision) + ", "
               + output::count_of(m_reconnects, "reconnect") + ", "
               + output::count_of(m_resumes, "resume");
    }

private:
    void step() {
        nats::KvEvent ev;
        try {
            ev = m_stream->next(k_poll);
        } catch (const nats::NatsError& e) {
            m_io.note(std::string("natty: watch interrupted: ") + e.what());
            m_resume_needed = true;
            return;
        }
        note_reconnects();
        switch (ev.kind) {
        case nats::KvEvent::Kind::idle:
            on_idle();
            return;
        case nats::KvEvent::Kind::initial_done:
            m_last_activity = Clock::now();
            m_io.note("natty: end of initial values; watching for changes");
            return;
        case nats::KvEvent::Kind::record:
            m_last_activity = Clock::now();
            show(ev.record);
            return;
        }
    }

    void note_reconnects() {
        const std::uint64_t now = m_session.connection.reconnect_count();
        if (now != m_reconnects) {
            m_reconnects = now;
            m_io.note("natty: watch reconnected; continuing after revision "
                      + std::to_string(m_last_revision));
        }
    }

    void on_idle() {
        // Nothing is written while idle, so a closed pipe (`| head -1`) is noticed here.
        if (m_io.stdout_reader_gone()) {
            throw BrokenPipe();
        }
        if (Clock::now() - m_last_activity <= k_probe_after) {
            return;
        }
        m_last_activity = Clock::now();
        if (m_session.connection.is_connected()
            && !m_stream->consumer_alive(k_probe_timeout)) {
            m_io.note("natty: watch consumer lost");
            m_resume_needed = true;
        }
    }

    void show(const nats::KvRecord& r) {
        if (r.revision <= m_last_revision) {
            return; // already printed before a reconnect or resume
        }
        m_last_revision = r.revision;
        if (m_options.no_deletes && r.op != nats::KvOp::put) {
            return;
        }
        if (m_options.json) {
            output::write_json_line(m_io, kv_common::record_json(r));
        } else {
            m_io.out << "[" << local_date_time(r.created) << "] " << nats::kv_op_name(r.op)
                     << " " << r.bucket << " > " << r.key << " @" << r.revision;
            if (r.op == nats::KvOp::put) {
                m_io.out << ": " << render_value_inline(r.value, 0);
            }
            m_io.out << "\n";
        }
        ++m_printed;
        m_io.flush_out();
    }

    void try_resume() {
        if (!m_session.connection.is_connected()) {
            m_guard.wait_for(k_poll);
            return;
        }
        const std::uint64_t from = m_last_revision + 1;
        try {
            m_stream->resume(from);
        } catch (const Error& e) {
            if (bucket_deleted(e)) {
                throw Error(ExitCode::not_found,
                            "bucket " + in_quotes(m_options.bucket)
                                + " disappeared while it was being watched (" + summary() + ")",
                            "it was deleted, or kept in memory by a server that restarted; "
                            "recreate it with `natty kv add "
                                + m_options.bucket + "`");
            }
            // Say it once, not every second while a cluster elects a new leader.
            if (m_resume_problem != e.what()) {
                m_resume_problem = e.what();
                m_io.note("natty: cannot resume the watch yet, retrying: " + m_resume_problem);
            }
            m_guard.wait_for(k_resume_retry);
            return;
        }
        ++m_resumes;
        m_resume_needed = false;
        m_resume_problem.clear();
        m_last_activity = Clock::now();
        m_io.note("natty: watch resumed from revision " + std::to_string(from));
    }

    // True when the failed resume was "not found" and the bucket's stream is really gone.
    bool bucket_deleted(const Error& e) {
        const auto* failure = dynamic_cast<const nats::NatsError*>(&e);
        if (failure == nullptr || !failure->not_found()) {
            return false;
        }
        try {
            return !nats::kv_bucket_info(m_session.js, m_options.bucket);
        } catch (const Error&) {
            return false;
        }
    }

    const KvWatchOptions& m_options;
    Io& m_io;
    const InterruptGuard& m_guard;
    kv_common::Session m_session;
    std::optional<nats::KvChangeStream> m_stream;
    std::uint64_t m_last_revision = 0;
    std::uint64_t m_printed = 0;
    std::uint64_t m_resumes = 0;
    std::uint64_t m_reconnects = 0;
    Clock::time_point m_last_activity;
    bool m_resume_needed = false;
    std::string m_resume_problem;
};

} // namespace

void run_kv_watch(const KvWatchOptions& options, Runtime& runtime) {
    kv_common::require_bucket(options.bucket);
    kv_common::require_filter(options.filter);
    start_of(options); // usage errors before connecting
    InterruptGuard guard;
    Watch watch(options, runtime, guard);
    watch.run();
    runtime.io().note("natty: watch stopped by signal: " + watch.summary());
    throw SilentExit(guard.exit_code());
}

} // namespace natty
