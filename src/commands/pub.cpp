#include "messaging.hpp"

#include <natty/commands/pub.hpp>
#include <natty/commands/options.hpp>
#include <natty/error.hpp>
#include <natty/nats/error.hpp>
#include <natty/nats/jetstream.hpp>
#include <natty/nats/publish.hpp>
#include <natty/output/output.hpp>
#include <natty/util/duration.hpp>
#include <natty/util/interrupt.hpp>
#include <natty/util/subject.hpp>

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdint>
#include <ostream>

namespace natty {
namespace {

using Clock = std::chrono::steady_clock;

// More messages than this get a progress bar (terminal) or one summary line instead of a
// line per message.
constexpr std::int64_t k_per_message_log_limit = 20;
// How often the async error state is checked during a long run.
constexpr std::uint64_t k_error_check_interval = 4096;

// Draws a one-line progress bar on a terminal's stderr.
class Progress {
public:
    Progress(Io& io, std::uint64_t total) : m_io(io), m_total(total), m_start(Clock::now()) {}

    void update(std::uint64_t done, bool force = false) {
        const auto now = Clock::now();
        if (!force && now - m_last < std::chrono::milliseconds(100)) {
            return;
        }
        m_last = now;
        const double secs = std::chrono::duration<double>(now - m_start).count();
        const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
        constexpr int k_width = 30;
        const auto filled = static_cast<int>(m_total == 0 ? 0.0
                                                          : k_width * static_cast<double>(done)
                                                                / static_cast<double>(m_total));
        std::string bar(static_cast<std::size_t>(filled), '#');
        bar.resize(k_width, ' ');
        char line[160];
        std::snprintf(line,
                      sizeof line,
                      "\r[%s] %s/%s %.0f msgs/s ",
                      bar.c_str(),
                      output::with_commas(done).c_str(),
                      output::with_commas(m_total).c_str(),
                      rate);
        m_io.write_err(line);
    }
    void finish(std::uint64_t done) {
        update(done, true);
        m_io.write_err("\n");
    }

private:
    Io& m_io;
    std::uint64_t m_total;
    Clock::time_point m_start;
    Clock::time_point m_last{};
};

// Checks the flags compile_plan() does not cover; returns --sleep.
Duration check_options(const PubOptions& options) {
    if (!options.reply.empty()) {
        require_publish_subject(options.reply, "--reply subject");
    }
    return options.sleep.empty() ? Duration{0} : parse_duration(options.sleep, "--sleep");
}

// Sends messages and keeps the counters; one per pub run.
class Publisher {
public:
    Publisher(const PubOptions& options,
              const messaging::Plan& plan,
              Runtime& runtime,
              nats::Connection& connection)
        : m_options(options), m_plan(plan), m_io(runtime.io()), m_conn(connection),
          m_max_payload(connection.max_payload()) {
        if (options.jetstream) {
            m_js.emplace(connection);
        }
    }

    // Renders and sends message number m_sent+1 with the given body template.
    void send(const Template& body) {
        TemplateValues values;
        values.count = m_sent + 1;
        // Constant templates are used as they are: no copy per message.
        std::string rendered_subject;
        std::string rendered_data;
        const std::string& subject =
            messaging::render_subject(m_plan.subject, values, rendered_subject);
        const std::string& data = messaging::render_into(body, values, rendered_data);
        const nats::Headers headers = messaging::render_headers(m_plan.headers, values);
        messaging::check_payload_size(data.size(), headers, m_max_payload, subject, m_sent);
        if (m_js) {
            send_jetstream(subject, data, headers);
        } else {
            nats::publish(m_conn, subject, m_options.reply, data, headers);
            if (m_options.count <= k_per_message_log_limit && !m_newline_mode) {
                messaging::flush_and_raise(m_conn, "publish to \"" + subject + "\"");
                log("Published " + std::to_string(data.size()) + " bytes to \"" + subject + "\"");
            }
        }
        ++m_sent;
        m_bytes += data.size();
        m_last_subject = subject;
        if (m_sent % k_error_check_interval == 0) {
            nats::raise_async_error(m_conn, "publish to \"" + subject + "\"");
        }
    }

    // Flushes everything buffered and raises errors the server reported meanwhile.
    void finish() {
        const std::string what = "publish to \"" + m_last_subject + "\"";
        if (m_js) {
            nats::raise_async_error(m_conn, what);
        } else {
            messaging::flush_and_raise(m_conn, what);
        }
    }

    // Raises what the server refused since the last check (send() checks every so often).
    void raise_async_error() {
        nats::raise_async_error(m_conn, "publish to \"" + m_last_subject + "\"");
    }

    void set_newline_mode(bool on) { m_newline_mode = on; }
    // The longest line from stdin that can be a message (a longer one is refused by send()).
    std::size_t max_line() const { return messaging::stdin_limit(m_conn); }
    Io& io() const { return m_io; }
    std::uint64_t sent() const { return m_sent; }
    std::uint64_t bytes() const { return m_bytes; }
    const std::string& last_subject() const { return m_last_subject; }

    void log(const std::string& line) {
        if (!m_options.quiet) {
            m_io.note(line);
        }
    }

private:
    void send_jetstream(const std::string& subject,
                        const std::string& data,
                        const nats::Headers& headers) {
        const std::string what = "JetStream publish to \"" + subject + "\"";
        nats::PubAck ack;
        try {
            ack = nats::jetstream_publish(
                *m_js, nats::make_message(subject, m_options.reply, data, headers), what);
        } catch (const nats::NatsError& e) {
            if (!e.no_responders()) {
                throw;
            }
            throw Error(ExitCode::not_found,
                        "no JetStream stream stores subject \"" + subject + "\" (no responders)",
                        "create a stream for the subject, or publish without -J");
        }
        std::string line =
            "Stored in Stream: " + ack.stream + " Sequence: " + output::with_commas(ack.sequence);
        if (!ack.domain.empty()) {
            line += " Domain: \"" + ack.domain + "\"";
        }
        if (ack.duplicate) {
            line += " Duplicate: true";
        }
        errno = 0;
        m_io.out << line << '\n';
        m_io.check_out();
    }

    const PubOptions& m_options;
    const messaging::Plan& m_plan;
    Io& m_io;
    nats::Connection& m_conn;
    std::int64_t m_max_payload;
    std::optional<nats::JetStream> m_js;
    std::uint64_t m_sent = 0;
    std::uint64_t m_bytes = 0;
    std::string m_last_subject;
    bool m_newline_mode = false;
};

std::string rate_summary(std::uint64_t sent,
                         std::uint64_t bytes,
                         const std::string& subject,
                         Clock::duration elapsed) {
    const double secs = std::chrono::duration<double>(elapsed).count();
    char rate[64];
    std::snprintf(rate, sizeof rate, "%.0f", secs > 0 ? static_cast<double>(sent) / secs : 0.0);
    return "Published " + output::with_commas(sent) + " messages ("
           + output::human_bytes(bytes) + ") to \"" + subject + "\" in "
           + format_go_duration(std::chrono::duration_cast<std::chrono::microseconds>(elapsed))
           + " (" + rate + " msgs/s)";
}

// Sends --count messages with `body`, or --count per stdin line with --send-on newline (no
// body), pausing --sleep between them, until done or interrupted.
void send_all(Publisher& publisher,
              const PubOptions& options,
              const std::optional<Template>& body,
              Duration sleep,
              Progress* progress,
              InterruptGuard& interrupt) {
    auto pause = [&]() {
        if (sleep > Duration::zero()) {
            interrupt.wait_for(std::chrono::duration_cast<std::chrono::milliseconds>(sleep));
        }
    };
    if (!body) {
        Io& io = publisher.io();
        const std::size_t limit = publisher.max_line();
        std::string line;
        while (io.read_line(line, limit, &interrupt)) {
            const Template line_body =
                messaging::compile_input(line, "line from stdin", !options.no_templates);
            for (std::int64_t i = 0; i < options.count && !interrupt.requested(); ++i) {
                publisher.send(line_body);
                pause();
            }
            publisher.raise_async_error();
        }
        return;
    }
    const auto total = static_cast<std::uint64_t>(options.count);
    for (std::uint64_t i = 0; i < total && !interrupt.requested(); ++i) {
        publisher.send(*body);
        if (progress != nullptr) {
            progress->update(publisher.sent());
        }
        if (i + 1 < total) {
            pause();
        }
    }
}

// A lost connection says how far core NATS publishing got and that it confirms nothing.
[[noreturn]] void throw_connection_lost(const nats::NatsError& e, std::uint64_t sent) {
    throw nats::NatsError(e.status(),
                          std::string(e.what()) + " (connection lost after "
                              + output::count_of(sent, "message")
                              + "; the last of them may not have reached the server)",
                          "core NATS does not confirm delivery; publish with -J to get a "
                          "stored acknowledgement for each message");
}

} // namespace

void run_pub(const PubOptions& options, Runtime& runtime) {
    Io& io = runtime.io();
    const bool templates = !options.no_templates;
    const auto plan = messaging::compile_plan(options.subject, options.headers, templates);
    const Duration sleep = check_options(options);
    const bool newline_mode = options.send_on == "newline";
    if (newline_mode && !messaging::body_from_stdin(io, options.body.has_value(), options.force_stdin)) {
        throw UsageError("--send-on newline reads messages from stdin, but a BODY was given",
                         "pipe the lines in and leave out BODY");
    }

    std::optional<Template> body;
    if (!newline_mode) {
        body = messaging::body_argument(io, options.body, options.force_stdin, templates);
    }

    auto connection = runtime.connect();
    InterruptGuard interrupt; // from here a signal ends the run with what was sent summarised
    if (!newline_mode && !body) { // stdin is read only now: bounded by the server's max_payload
        body = messaging::read_stdin_body(
            io, templates, {messaging::stdin_limit(connection), &interrupt, !options.quiet});
    }
    Publisher publisher(options, plan, runtime, connection);
    publisher.set_newline_mode(newline_mode);
    const auto start = Clock::now();
    std::optional<Progress> progress;
    if (options.count > k_per_message_log_limit && io.stderr_is_tty && !options.quiet
        && !newline_mode) {
        progress.emplace(io, static_cast<std::uint64_t>(options.count));
    }
    try {
        send_all(publisher, options, body, sleep, progress ? &*progress : nullptr, interrupt);
        publisher.finish();
    } catch (const nats::NatsError& e) {
        if (progress) {
            progress->finish(publisher.sent());
        }
        if (!e.connection_lost()) {
            throw;
        }
        throw_connection_lost(e, publisher.sent());
    }
    if (progress) {
        progress->finish(publisher.sent());
    }
    const bool bulk = options.count > k_per_message_log_limit || newline_mode;
    if (bulk && !options.jetstream) {
        const std::string& subject = publisher.sent() > 0 ? publisher.last_subject() : options.subject;
        publisher.log(rate_summary(publisher.sent(), publisher.bytes(), subject, Clock::now() - start));
    }
    if (interrupt.requested()) {
        io.note("natty: interrupted after " + output::count_of(publisher.sent(), "message"));
        throw SilentExit(interrupt.exit_code());
    }
}

void setup_pub(CLI::App& app, Runtime& runtime) {
    auto opts = std::make_shared<PubOptions>();
    auto* cmd = app.add_subcommand(
        "pub",
        "Publish a message, e.g.\n"
        "  natty pub orders.new '{\"id\":{{Count}}}' --count 10\n"
        "  echo hello | natty pub greet\n"
        "Templates in subject, body and headers: {{Count}} {{TimeStamp}} {{Unix}} "
        "{{UnixNano}} {{Time}} {{ID}} {{Random MIN MAX}}");
    cmd->alias("publish");
    cmd->add_option("subject", opts->subject, "Subject to publish to")->required();
    cmd->add_option(
        "body", opts->body, "Message body (default: stdin when piped; see --force-stdin)");
    cmd->add_option("--reply", opts->reply, "Reply subject");
    cmd->add_option("-H,--header", opts->headers, "Header Key:Value (repeatable)");
    cmd->add_option("--count", opts->count, "Number of messages to publish (default 1)")
        ->transform(whole_number({1, static_cast<std::uint64_t>(INT64_MAX)}));
    cmd->add_option("--sleep", opts->sleep, "Pause between messages, e.g. 100ms");
    cmd->add_flag("--force-stdin", opts->force_stdin, "Read the body from stdin");
    cmd->add_option("--send-on",
                    opts->send_on,
                    "With stdin: eof sends all input as one message, newline one per line")
        ->check(CLI::IsMember({"eof", "newline"}));
    cmd->add_flag("-J,--jetstream",
                  opts->jetstream,
                  "Publish to JetStream and print the stream and sequence of each ack");
    cmd->add_flag("-q,--quiet", opts->quiet, "No log lines on stderr");
    cmd->add_flag(
        "--no-templates", opts->no_templates, "Send {{ }} in subject, body and headers as is");
    cmd->callback([opts, &runtime] { run_pub(*opts, runtime); });
}

} // namespace natty
