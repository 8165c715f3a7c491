#include "messaging.hpp"

#include <natty/commands/request.hpp>
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

namespace natty {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds k_poll{100};

struct Plan {
    Template subject;
    Template body;
    std::vector<messaging::HeaderTemplate> headers;
    Duration reply_timeout{};
};

std::string format_rtt(Clock::duration d) {
    return format_go_duration(std::chrono::duration_cast<std::chrono::microseconds>(d));
}

void print_reply(Io& io,
                 const RequestOptions& options,
                 const nats::Message& msg,
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
                                          rtt_ms)
               << '\n';
    } else if (options.raw) {
        io.out << msg.data();
        if (msg.data().empty() || msg.data().back() != '\n') {
            io.out << '\n';
        }
    } else {
        io.note("Received with rtt " + format_rtt(rtt));
        const auto headers = msg.headers();
        for (const auto& [key, values] : headers) {
            for (const auto& value : values) {
                io.note(key + ": " + value);
            }
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

// Raises the permission error nats.c reported for this request, if any.
void raise_denied(nats::Connection& connection, const std::string& subject) {
    messaging::raise_async_error(connection, "request on \"" + subject + "\"");
}

} // namespace

void run_request(const RequestOptions& options, Runtime& runtime) {
    Io& io = runtime.io();
    const bool templates = !options.no_templates;
    Plan plan{messaging::compile_or_literal(options.subject, "subject", templates),
              Template::literal(""),
              messaging::compile_headers(options.headers, templates),
              parse_duration(options.reply_timeout, "--reply-timeout")};
    if (plan.subject.is_constant()) {
        require_publish_subject(options.subject, "subject");
    } else {
        require_publish_subject(plan.subject.render(TemplateValues{}), "subject (as rendered)");
    }
    if (options.count < 1) {
        throw UsageError("--count must be at least 1, got " + std::to_string(options.count));
    }
    if (options.replies < 0) {
        throw UsageError("--replies must be 0 (until --timeout) or more, got "
                         + std::to_string(options.replies));
    }
    if (options.raw && options.json) {
        throw UsageError("--raw and --json cannot be combined");
    }
    if (messaging::body_from_stdin(io, options.body.has_value(), options.force_stdin)) {
        const std::string data = messaging::read_all(io);
        plan.body = messaging::compile_or_literal(
            data, "body from stdin", templates && output::is_valid_utf8(data));
    } else {
        plan.body = messaging::compile_or_literal(options.body.value_or(""), "body", templates);
    }

    const std::string inbox = messaging::new_inbox(messaging::inbox_prefix(runtime.settings()));
    auto connection = runtime.connect();
    const Duration timeout = connection.spec().timeout;
    const std::int64_t max_payload = connection.max_payload();
    auto sub = nats::Subscription::subscribe(connection, inbox + ".*");
    sub.set_pending_limits(65536, 256 * 1024 * 1024);
    InterruptGuard interrupt;
    bool service_error = false;
    std::string service_error_text;

    for (std::int64_t i = 1; i <= options.count; ++i) {
        TemplateValues values;
        values.count = static_cast<std::uint64_t>(i);
        const std::string subject = plan.subject.render(values);
        if (!plan.subject.is_constant()) {
            require_publish_subject(subject, "subject (as rendered)");
        }
        const std::string data = plan.body.render(values);
        const nats::Headers headers = messaging::render_headers(plan.headers, values);
        messaging::check_payload_size(
            data.size(), headers, max_payload, subject, static_cast<std::uint64_t>(i - 1));
        const std::string reply_to = inbox + "." + std::to_string(i);
        if (!options.raw && !options.json) {
            io.note("Sending request on \"" + subject + "\"");
        }
        const auto sent_at = Clock::now();
        nats::publish(connection, subject, reply_to, data, headers);
        messaging::flush_and_raise(connection, "request on \"" + subject + "\"");

        std::int64_t received = 0;
        auto deadline = sent_at + timeout;
        const auto overall_deadline = deadline;
        while (true) {
            if (interrupt.requested()) {
                throw SilentExit(ExitCode::interrupted);
            }
            const auto now = Clock::now();
            if (now >= deadline) {
                break;
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
            auto msg = sub.next(std::min(left + std::chrono::milliseconds(1), k_poll));
            if (!msg && sub.take_no_responders()) {
                raise_denied(connection, subject);
                if (received > 0) {
                    break;
                }
                throw_no_responders(subject);
            }
            if (!msg) {
                raise_denied(connection, subject);
                if (sub.finished()) {
                    throw Error(ExitCode::connect, "connection closed while waiting for a reply");
                }
                continue;
            }
            if (msg->subject() != reply_to) {
                continue; // a late reply to an earlier request
            }
            if (msg->is_no_responders()) {
                raise_denied(connection, subject);
                if (received > 0) {
                    break;
                }
                throw_no_responders(subject);
            }
            ++received;
            print_reply(io, options, *msg, Clock::now() - sent_at, static_cast<std::uint64_t>(i));
            const std::string error = msg->header("Nats-Service-Error");
            if (!error.empty() && !service_error) {
                service_error = true;
                const std::string code = msg->header("Nats-Service-Error-Code");
                service_error_text = "service error from \"" + subject + "\": " + error
                                     + (code.empty() ? std::string() : " (code " + code + ")");
            }
            if (options.replies > 0 && received >= options.replies) {
                break;
            }
            if (options.replies != 0) {
                deadline = Clock::now() + plan.reply_timeout;
            } else {
                deadline = overall_deadline;
            }
        }
        if (received == 0) {
            raise_denied(connection, subject);
            throw Error(ExitCode::timeout,
                        "no reply on \"" + subject + "\" within " + format_go_duration(timeout),
                        "the responder may be slow or gone; raise --timeout to wait longer");
        }
    }
    if (service_error) {
        throw Error(ExitCode::failure, service_error_text);
    }
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
    cmd->add_option("--count", o->count, "Number of requests to send one after another");
    cmd->add_option("--replies",
                    o->replies,
                    "Replies to wait for per request (default 1; 0 = until --timeout)");
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
