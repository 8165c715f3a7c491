#include "messaging.hpp"

#include <natty/commands/request.hpp>
#include <natty/commands/options.hpp>
#include <natty/error.hpp>
#include <natty/nats/error.hpp>
#include <natty/nats/publish.hpp>
#include <natty/nats/subscription.hpp>
#include <natty/output/output.hpp>
#include <natty/util/duration.hpp>
#include <natty/util/interrupt.hpp>
#include <natty/util/subject.hpp>

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdint>

namespace natty {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds k_poll{100};

std::string format_rtt(Clock::duration d) {
    return format_go_duration(std::chrono::duration_cast<std::chrono::microseconds>(d));
}

// Prints one reply: a JSON line (with the subject requested, not the inbox it arrived on),
// the raw body, or the body for humans with the rtt and headers on stderr.
void print_reply(Io& io,
                 const RequestOptions& options,
                 const nats::Message& msg,
                 const std::string& subject,
                 Clock::duration rtt,
                 std::uint64_t request_number) {
    errno = 0;
    if (options.json) {
        char rtt_ms[64];
        std::snprintf(rtt_ms,
                      sizeof rtt_ms,
                      "\"rtt_ms\":%.6f",
                      std::chrono::duration<double, std::milli>(rtt).count());
        io.out << messaging::message_json(msg,
                                          std::chrono::system_clock::now(),
                                          "\"request\":" + std::to_string(request_number),
                                          rtt_ms,
                                          subject)
               << '\n';
    } else if (options.raw) {
        io.out << msg.data();
        if (msg.data().empty() || msg.data().back() != '\n') {
            io.out << '\n';
        }
    } else {
        io.note("Received with rtt " + format_rtt(rtt));
        for (const auto& line : messaging::header_lines(msg.headers())) {
            io.note(line);
        }
        messaging::write_human_body(io, msg.data());
    }
    io.check_out();
    io.flush_out();
}

[[noreturn]] void throw_no_responders(const std::string& subject) {
    throw Error(ExitCode::not_found,
                "no responders: nothing is subscribed to \"" + subject + "\"",
                "start a service on that subject (e.g. natty reply " + subject
                    + ") or check the subject's spelling");
}

// Checks the flags, then compiles subject and headers; before connecting.
messaging::Plan compile_request(const RequestOptions& options) {
    const auto plan =
        messaging::compile_plan(options.subject, options.headers, !options.no_templates);
    if (options.raw && options.json) {
        throw UsageError("--raw and --json cannot be combined");
    }
    return plan;
}

// Sends the requests one after another on one connection, each with its own reply subject
// under one inbox subscription, and prints the replies as they come.
class Requester {
public:
    Requester(const RequestOptions& options,
              const messaging::Plan& plan,
              Template body,
              Duration reply_timeout,
              Runtime& runtime,
              nats::Connection& connection,
              const std::string& inbox)
        : m_options(options), m_plan(plan), m_body(std::move(body)), m_io(runtime.io()),
          m_conn(connection), m_inbox(inbox),
          m_reply_timeout(reply_timeout),
          m_timeout(connection.spec().timeout), m_max_payload(connection.max_payload()),
          m_sub(nats::Subscription::subscribe(connection, inbox + ".*")) {
        m_sub.set_pending_limits(65536, 256 * 1024 * 1024);
    }

    // Sends request number `n` and waits for its replies; throws on no responders, a timeout
    // without any reply, permission errors and a closed connection.
    void request(std::uint64_t n) {
        TemplateValues values;
        values.count = n;
        std::string rendered_subject;
        const std::string subject =
            messaging::render_subject(m_plan.subject, values, rendered_subject);
        const std::string data = m_body.render(values);
        const nats::Headers headers = messaging::render_headers(m_plan.headers, values);
        messaging::check_payload_size(data.size(), headers, m_max_payload, subject, n - 1);
        const std::string reply_to = m_inbox + "." + std::to_string(n);
        if (!m_options.raw && !m_options.json) {
            m_io.note("Sending request on \"" + subject + "\"");
        }
        const auto sent_at = Clock::now();
        nats::publish(m_conn, subject, reply_to, data, headers);
        messaging::flush_and_raise(m_conn, "request on \"" + subject + "\"");
        if (collect(subject, reply_to, sent_at, n) == 0) {
            raise_denied(subject);
            throw Error(ExitCode::timeout,
                        "no reply on \"" + subject + "\" within " + format_go_duration(m_timeout),
                        "the responder may be slow or gone; raise --timeout to wait longer");
        }
    }

    // After all requests: a reply that carried a Nats-Service-Error header fails the run.
    void finish() const {
        if (!m_service_error.empty()) {
            throw Error(ExitCode::failure, m_service_error);
        }
    }

private:
    // Waits for the replies to one request until --replies came, the wait after the last one
    // (--reply-timeout) or --timeout ran out; returns how many came.
    std::int64_t collect(const std::string& subject,
                         const std::string& reply_to,
                         Clock::time_point sent_at,
                         std::uint64_t n) {
        std::int64_t received = 0;
        const auto overall_deadline = sent_at + m_timeout;
        auto deadline = overall_deadline;
        while (true) {
            if (m_interrupt.requested()) {
                throw SilentExit(m_interrupt.exit_code());
            }
            const auto now = Clock::now();
            if (now >= deadline) {
                return received;
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
            auto msg = m_sub.next(std::min(left + std::chrono::milliseconds(1), k_poll));
            if (!msg) {
                raise_denied(subject);
                if (m_sub.take_no_responders()) {
                    return no_responders(subject, received);
                }
                if (m_sub.finished()) {
                    throw Error(ExitCode::connect, "connection closed while waiting for a reply");
                }
                continue;
            }
            if (msg->subject() != reply_to) {
                continue; // a late reply to an earlier request
            }
            if (msg->is_no_responders()) {
                raise_denied(subject);
                return no_responders(subject, received);
            }
            ++received;
            on_reply(*msg, subject, Clock::now() - sent_at, n);
            if (m_options.replies > 0 && received >= m_options.replies) {
                return received;
            }
            deadline = m_options.replies != 0 ? Clock::now() + m_reply_timeout : overall_deadline;
        }
    }

    // No responders ends the wait: a failure unless replies already came (--replies 0 or > 1).
    static std::int64_t no_responders(const std::string& subject, std::int64_t received) {
        if (received == 0) {
            throw_no_responders(subject);
        }
        return received;
    }

    void on_reply(const nats::Message& msg,
                  const std::string& subject,
                  Clock::duration rtt,
                  std::uint64_t n) {
        print_reply(m_io, m_options, msg, subject, rtt, n);
        const std::string error = msg.header("Nats-Service-Error");
        if (!error.empty() && m_service_error.empty()) {
            const std::string code = msg.header("Nats-Service-Error-Code");
            m_service_error = "service error from \"" + subject + "\": " + error
                              + (code.empty() ? std::string() : " (code " + code + ")");
        }
    }

    // Raises the permission error nats.c reported for this request, if any.
    void raise_denied(const std::string& subject) {
        nats::raise_async_error(m_conn, "request on \"" + subject + "\"");
    }

    const RequestOptions& m_options;
    const messaging::Plan& m_plan;
    Template m_body;
    Io& m_io;
    nats::Connection& m_conn;
    std::string m_inbox;
    Duration m_reply_timeout;
    Duration m_timeout;
    std::int64_t m_max_payload;
    nats::Subscription m_sub;
    InterruptGuard m_interrupt;
    std::string m_service_error; // the first service error, reported at the end
};

} // namespace

void run_request(const RequestOptions& options, Runtime& runtime) {
    Io& io = runtime.io();
    const messaging::Plan plan = compile_request(options);
    const Duration reply_timeout = parse_duration(options.reply_timeout, "--reply-timeout");
    const bool templates = !options.no_templates;
    std::optional<Template> body =
        messaging::body_argument(io, options.body, options.force_stdin, templates);
    const std::string inbox = messaging::new_inbox(messaging::inbox_prefix(runtime.settings()));
    auto connection = runtime.connect(/*reconnect=*/false, /*send_asap=*/true);
    if (!body) { // stdin is read only now: bounded by the server's max_payload
        const InterruptGuard reading;
        body = messaging::read_stdin_body(
            io, templates, {messaging::stdin_limit(connection), &reading, false});
    }
    Requester requester(
        options, plan, std::move(*body), reply_timeout, runtime, connection, inbox);
    for (std::int64_t n = 1; n <= options.count; ++n) {
        requester.request(static_cast<std::uint64_t>(n));
    }
    requester.finish();
}

void setup_request(CLI::App& app, Runtime& runtime) {
    auto o = std::make_shared<RequestOptions>();
    auto* cmd =
        app.add_subcommand("request",
                           "Send a request and print the replies, e.g.\n"
                           "  natty request svc.time ''\n"
                           "  natty request svc.echo 'hi {{Count}}' --count 3 --json\n"
                           "Exit 7: no responders; 8: no reply within --timeout (default 5s)");
    cmd->alias("req");
    cmd->add_option("subject", o->subject, "Subject to send the request to")->required();
    cmd->add_option("body", o->body, "Request body (default: stdin when piped)");
    cmd->add_option("-H,--header", o->headers, "Header Key:Value (repeatable)");
    cmd->add_option("--count", o->count, "Number of requests to send one after another")
        ->transform(whole_number({1, static_cast<std::uint64_t>(INT64_MAX)}));
    cmd->add_option("--replies",
                    o->replies,
                    "Replies to wait for per request (default 1; 0 = until --timeout)")
        ->transform(whole_number({0, static_cast<std::uint64_t>(INT64_MAX)}));
    cmd->add_option("--reply-timeout",
                    o->reply_timeout,
                    "After a reply, how long to wait for the next one (default 300ms)");
    cmd->add_flag("-r,--raw", o->raw, "Print only reply bodies, no log lines");
    cmd->add_flag("--json", o->json, "One JSON object per reply (JSON Lines)");
    cmd->add_flag("--force-stdin", o->force_stdin, "Read the body from stdin");
    cmd->add_flag("--no-templates", o->no_templates, "Send {{ }} as is");
    cmd->callback([o, &runtime] { run_request(*o, runtime); });
}

} // namespace natty
