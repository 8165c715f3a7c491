#include "messaging.hpp"

#include <natty/commands/reply.hpp>
#include <natty/commands/options.hpp>
#include <natty/error.hpp>
#include <natty/nats/error.hpp>
#include <natty/nats/publish.hpp>
#include <natty/nats/subscription.hpp>
#include <natty/output/output.hpp>
#include <natty/util/command_line.hpp>
#include <natty/util/duration.hpp>
#include <natty/util/interrupt.hpp>
#include <natty/util/spawn.hpp>
#include <natty/util/subject.hpp>

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdint>

namespace natty {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds k_poll{100};
constexpr std::chrono::seconds k_drain_limit{5};

// Runs --command's words for one request, with the request in its environment, and returns
// its combined stdout and stderr and status. Interrupting natty terminates the command.
ChildResult run_command(std::vector<std::string> argv,
                        const Environment& env,
                        const std::string& subject,
                        std::string_view body,
                        const InterruptGuard& interrupt) {
    ChildSpec spec;
    spec.argv = std::move(argv);
    spec.env = env.with("NATS_REQUEST_SUBJECT", subject)
                   .with("NATS_REQUEST_BODY", std::string(body.substr(0, body.find('\0'))));
    spec.default_signals = {SIGINT, SIGTERM, SIGPIPE};
    spec.capture_output = true;
    return run_child(spec, [&] { return interrupt.requested(); });
}

// What reply compiles before connecting: the BODY or --command templates, -H headers, --sleep.
struct ReplyPlan {
    std::optional<Template> body;
    std::vector<Template> command; // one per word; empty without --command
    std::vector<messaging::HeaderTemplate> headers;
    Duration sleep{0};
};

ReplyPlan compile_reply(const ReplyOptions& options) {
    ReplyPlan plan;
    const bool templates = !options.no_templates;
    const TemplateFeatures features{true, true};
    if (options.body) {
        plan.body = messaging::compile_or_literal(*options.body, "body", templates, features);
    }
    if (!options.command.empty()) {
        // Split before rendering: a value from a request fills its word, never adds one.
        const auto words = split_command_line(options.command, templates, "--command");
        if (words.empty()) {
            throw UsageError("--command is empty", "give a program to run, e.g. --command 'date -u'");
        }
        for (std::size_t i = 0; i < words.size(); ++i) {
            plan.command.push_back(messaging::compile_or_literal(
                words[i], "--command word " + std::to_string(i + 1), templates, features));
        }
    }
    plan.headers = messaging::compile_headers(options.headers, templates, features);
    if (!options.sleep.empty()) {
        plan.sleep = parse_duration(options.sleep, "--sleep");
    }
    return plan;
}

// Per-run state: the plan, the connection and counters.
class Replier {
public:
    Replier(ReplyPlan plan, Io& io, nats::Connection& connection, bool echo)
        : m_plan(std::move(plan)), m_io(io), m_conn(connection), m_echo(echo) {}

    void handle(const nats::Message& msg, const InterruptGuard& interrupt) {
        ++m_handled;
        const std::string subject(msg.subject());
        const auto request_headers = msg.headers();
        m_io.note("[#" + std::to_string(m_handled) + "] Received on subject \"" + subject + "\""
                  + (msg.reply().empty() ? std::string(" (no reply subject)") : ""));
        for (const auto& line : messaging::header_lines(msg.headers())) {
            m_io.note(line);
        }
        // A reader of stdout that went away ends natty, but only after this request is answered:
        // the requester should not wait for a timeout because of our log.
        errno = 0;
        messaging::write_human_body(m_io, msg.data());
        m_io.out.flush();
        const int out_errno = m_io.out ? 0 : (errno != 0 ? errno : EIO);

        if (m_plan.sleep > Duration::zero()) {
            std::uniform_int_distribution<std::int64_t> pick(0, m_plan.sleep.count() - 1);
            interrupt.wait_for(
                std::chrono::duration_cast<std::chrono::milliseconds>(Duration(pick(m_rng))));
        }
        if (!msg.reply().empty()) {
            answer(msg, subject, request_headers, interrupt);
        }
        if (out_errno != 0) {
            errno = out_errno;
            m_io.check_out();
        }
    }

    std::uint64_t handled() const { return m_handled; }

private:
    struct Reply {
        std::string data;
        nats::Headers headers;
    };

    // Sends the reply; a reply that cannot be built or is too large for the server becomes an
    // empty reply with a Nats-Service-Error header, and natty keeps serving.
    void answer(const nats::Message& msg,
                const std::string& subject,
                const nats::Headers& request_headers,
                const InterruptGuard& interrupt) {
        const std::string reply_subject(msg.reply());
        Reply reply;
        try {
            reply = build_reply(msg, subject, request_headers, interrupt);
            messaging::check_payload_size(reply.data.size(),
                                          reply.headers,
                                          m_conn.max_payload(),
                                          reply_subject,
                                          m_handled - 1);
        } catch (const UsageError& e) {
            m_io.note("[#" + std::to_string(m_handled) + "] cannot send the reply: " + e.what()
                      + "; replying with a service error");
            reply = Reply{{},
                          {{"Nats-Service-Error", {e.what()}},
                           {"Nats-Service-Error-Code", {"500"}}}};
        }
        nats::publish(m_conn, reply_subject, {}, reply.data, reply.headers);
    }

    Reply build_reply(const nats::Message& msg,
                      const std::string& subject,
                      const nats::Headers& request_headers,
                      const InterruptGuard& interrupt) {
        const auto tokens = subject_tokens(subject);
        TemplateValues values;
        values.count = m_handled;
        values.request = msg.data();
        values.tokens = &tokens;

        Reply reply;
        if (!m_plan.command.empty()) {
            std::vector<std::string> argv;
            for (const Template& word : m_plan.command) {
                argv.push_back(word.render(values));
            }
            ChildResult result;
            try {
                result = run_command(argv, m_io.env, subject, msg.data(), interrupt);
            } catch (const SpawnError& e) {
                // Answered like a shell would: status 127 and the reason as the reply.
                m_io.note("[#" + std::to_string(m_handled) + "] cannot run " + argv[0] + ": "
                          + e.reason() + "; check --command and PATH");
                result = ChildResult{127, std::string(e.what()) + "\n"};
            }
            reply.data = std::move(result.output);
            if (result.status != 0) {
                m_io.note("[#" + std::to_string(m_handled) + "] command " + argv[0]
                          + " exited with status " + std::to_string(result.status));
                reply.headers.emplace_back(
                    "Nats-Service-Error",
                    std::vector<std::string>{"command exited with status "
                                             + std::to_string(result.status)});
                reply.headers.emplace_back("Nats-Service-Error-Code",
                                           std::vector<std::string>{"500"});
            }
        } else if (m_echo) {
            reply.data = std::string(msg.data());
            reply.headers = request_headers;
            reply.headers.emplace_back("NATS-Reply-Counter",
                                       std::vector<std::string>{std::to_string(m_handled)});
        } else if (m_plan.body) {
            reply.data = m_plan.body->render(values);
        }
        for (auto& [key, list] : messaging::render_headers(m_plan.headers, values)) {
            reply.headers.emplace_back(key, std::move(list));
        }
        return reply;
    }

    ReplyPlan m_plan;
    Io& m_io;
    nats::Connection& m_conn;
    bool m_echo;
    std::uint64_t m_handled = 0;
    std::mt19937_64 m_rng{std::random_device{}()};
};

} // namespace

void run_reply(const ReplyOptions& options, Runtime& runtime) {
    Io& io = runtime.io();
    require_subscribe_subject(options.subject, "subject");
    require_queue_name(options.queue, "--queue name");
    if (options.count && *options.count < 1) {
        throw UsageError("--count must be at least 1, got " + std::to_string(*options.count),
                         "leave --count out to answer until Ctrl-C");
    }
    if (options.echo && (options.body || !options.command.empty())) {
        throw UsageError("--echo cannot be combined with a BODY or --command");
    }
    if (options.body && !options.command.empty()) {
        throw UsageError("give either a BODY or --command, not both");
    }
    const bool echo = options.echo || (!options.body && options.command.empty());
    ReplyPlan plan = compile_reply(options);
    const messaging::UntiedErr untied(io);
    auto connection = runtime.connect(/*reconnect=*/true, /*send_asap=*/true);
    Replier replier(std::move(plan), io, connection, echo);
    InterruptGuard interrupt;
    auto sub = nats::Subscription::subscribe(connection, options.subject, options.queue);
    messaging::flush_and_raise(connection, "subscribe to \"" + options.subject + "\"");
    if (echo && !options.echo) {
        io.note("No body or command supplied, enabling echo mode");
    }
    io.note("Listening on \"" + options.subject + "\" in group \"" + options.queue + "\"");

    const auto limit = options.count ? static_cast<std::uint64_t>(*options.count) : 0;
    while (!interrupt.requested() && (limit == 0 || replier.handled() < limit)) {
        auto msg = sub.next(k_poll);
        if (!msg) {
            nats::raise_async_error(connection, "reply on \"" + options.subject + "\"");
            nats::raise_if_closed(connection, "reply on \"" + options.subject + "\"");
            if (sub.finished()) {
                break;
            }
            continue;
        }
        replier.handle(*msg, interrupt);
    }
    if (interrupt.requested()) {
        io.note("Draining...");
        sub.drain();
        const auto deadline = Clock::now() + k_drain_limit;
        while (!sub.finished() && Clock::now() < deadline
               && (limit == 0 || replier.handled() < limit)) {
            if (auto msg = sub.next(k_poll)) {
                replier.handle(*msg, interrupt);
            }
        }
    }
    connection.flush(connection.spec().timeout);
    io.note("Answered " + output::count_of(replier.handled(), "request"));
}

void setup_reply(CLI::App& app, Runtime& runtime) {
    auto o = std::make_shared<ReplyOptions>();
    auto* cmd = app.add_subcommand("reply",
                                   "Answer requests, e.g.\n"
                                   "  natty reply svc.echo                    (echo mode)\n"
                                   "  natty reply svc.hello 'hello {{Request}}'\n"
                                   "  natty reply 'svc.>' --command 'echo {{1}}'\n"
                                   "Ctrl-C drains requests already received and exits 0");
    cmd->add_option("subject", o->subject, "Subject to answer on (wildcards allowed)")->required();
    cmd->add_option("body", o->body, "Reply body template ({{Request}} = request body)");
    cmd->add_flag("--echo", o->echo, "Reply with the request's body and headers");
    cmd->add_option("--command",
                    o->command,
                    "Run this command per request and reply with its output; {{0}}, {{1}}... "
                    "are subject tokens; env NATS_REQUEST_SUBJECT, NATS_REQUEST_BODY");
    cmd->add_option("-q,--queue", o->queue, "Queue group (default NATS-RPLY-22)");
    cmd->add_option("--count", o->count, "Exit after answering this many requests")
        ->transform(whole_number({1, static_cast<std::uint64_t>(INT64_MAX)}));
    cmd->add_option("--sleep", o->sleep, "Wait a random time up to this before each reply");
    cmd->add_option("-H,--header", o->headers, "Reply header Key:Value (repeatable)");
    cmd->add_flag("--no-templates", o->no_templates, "Send {{ }} as is");
    cmd->callback([o, &runtime] { run_reply(*o, runtime); });
}

} // namespace natty
