#include "messaging.hpp"

#include <natty/commands/reply.hpp>
#include <natty/commands/options.hpp>
#include <natty/error.hpp>
#include <natty/nats/error.hpp>
#include <natty/nats/publish.hpp>
#include <natty/nats/subscription.hpp>
#include <natty/output/output.hpp>
#include <natty/util/duration.hpp>
#include <natty/util/interrupt.hpp>
#include <natty/util/spawn.hpp>
#include <natty/util/subject.hpp>

#include <CLI/CLI.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cerrno>
#include <csignal>
#include <cstring>

extern char** environ; // NOLINT: the process environment, passed on to --command

namespace natty {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds k_poll{100};
constexpr std::chrono::seconds k_drain_limit{5};

// What a --command run produced.
struct CommandResult {
    std::string output; // stdout and stderr, interleaved
    int status = 0;     // exit status, or 128+signal
    std::string spawn_error; // why the command could not be started ("" when it ran)
};

// Runs argv with the request in its environment, capturing stdout+stderr. Interrupting natty
// terminates the command.
CommandResult run_command(const std::vector<std::string>& argv,
                          const std::string& subject,
                          std::string_view body,
                          const InterruptGuard& interrupt) {
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string_view entry(*e);
        if (entry.rfind("NATS_REQUEST_SUBJECT=", 0) != 0
            && entry.rfind("NATS_REQUEST_BODY=", 0) != 0) {
            env_strings.emplace_back(entry);
        }
    }
    env_strings.push_back("NATS_REQUEST_SUBJECT=" + subject);
    env_strings.push_back("NATS_REQUEST_BODY=" + std::string(body.substr(0, body.find('\0'))));
    std::vector<char*> envp;
    for (auto& s : env_strings) {
        envp.push_back(s.data());
    }
    envp.push_back(nullptr);
    std::vector<std::string> args = argv;
    std::vector<char*> argp;
    for (auto& s : args) {
        argp.push_back(s.data());
    }
    argp.push_back(nullptr);

    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        throw Error(ExitCode::failure,
                    std::string("cannot run --command: pipe: ") + std::strerror(errno));
    }
    // Spawned rather than forked: natty has library threads, and a SIGTERM forwarded to the
    // command at any moment, even before exec, ends it.
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    const SpawnAttributes attributes({SIGINT, SIGTERM, SIGPIPE});
    pid_t pid = 0;
    const int spawn_error =
        ::posix_spawnp(&pid, argp[0], &actions, attributes.get(), argp.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (spawn_error != 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        // Answered like a shell would: status 127 and the reason as the output.
        const std::string reason = std::strerror(spawn_error);
        return CommandResult{"natty: cannot run " + args[0] + ": " + reason + "\n", 127, reason};
    }
    ::close(fds[1]);
    CommandResult result;
    bool terminated = false;
    char buf[8192];
    while (true) {
        pollfd pfd{fds[0], POLLIN, 0};
        const int ready = ::poll(&pfd, 1, 100);
        if (ready > 0) {
            const ssize_t n = ::read(fds[0], buf, sizeof buf);
            if (n > 0) {
                result.output.append(buf, static_cast<std::size_t>(n));
                continue;
            }
            if (n == 0 || errno != EINTR) {
                break;
            }
        }
        if (interrupt.requested() && !terminated) {
            ::kill(pid, SIGTERM);
            terminated = true;
        }
    }
    ::close(fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

// Per-run state: compiled templates, the connection and counters.
class Replier {
public:
    Replier(const ReplyOptions& options, Io& io, nats::Connection& connection, bool echo)
        : m_options(options), m_io(io), m_conn(connection), m_echo(echo) {
        const bool templates = !options.no_templates;
        const TemplateFeatures features{true, true};
        if (options.body) {
            m_body = messaging::compile_or_literal(*options.body, "body", templates, features);
        }
        if (!options.command.empty()) {
            m_command =
                messaging::compile_or_literal(options.command, "--command", templates, features);
            if (split_command_line(options.command).empty()) {
                throw UsageError("--command is empty",
                                 "give a program to run, e.g. --command "
                                 "'date -u'");
            }
        }
        m_headers = messaging::compile_headers(options.headers, templates, features);
        if (!options.sleep.empty()) {
            m_sleep = parse_duration(options.sleep, "--sleep");
        }
    }

    void handle(const nats::Message& msg, const InterruptGuard& interrupt) {
        ++m_handled;
        const std::string subject(msg.subject());
        const auto request_headers = msg.headers();
        m_io.note("[#" + std::to_string(m_handled) + "] Received on subject \"" + subject + "\""
                  + (msg.reply().empty() ? std::string(" (no reply subject)") : ""));
        for (const auto& [key, values] : request_headers) {
            for (const auto& value : values) {
                m_io.note(key + ": " + value);
            }
        }
        // A reader of stdout that went away ends natty, but only after this request is answered:
        // the requester should not wait for a timeout because of our log.
        errno = 0;
        messaging::write_human_body(m_io, msg.data());
        m_io.out.flush();
        const int out_errno = m_io.out ? 0 : (errno != 0 ? errno : EIO);

        if (m_sleep > Duration::zero()) {
            std::uniform_int_distribution<std::int64_t> pick(0, m_sleep.count() - 1);
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
        if (m_command) {
            const auto argv = split_command_line(m_command->render(values));
            if (argv.empty()) {
                throw UsageError("--command rendered to an empty command line");
            }
            const CommandResult result = run_command(argv, subject, msg.data(), interrupt);
            reply.data = result.output;
            if (!result.spawn_error.empty()) {
                m_io.note("[#" + std::to_string(m_handled) + "] cannot run " + argv[0] + ": "
                          + result.spawn_error + "; check --command and PATH");
            } else if (result.status != 0) {
                m_io.note("[#" + std::to_string(m_handled) + "] command " + argv[0]
                          + " exited with status " + std::to_string(result.status));
            }
            if (result.status != 0) {
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
        } else if (m_body) {
            reply.data = m_body->render(values);
        }
        for (auto& [key, list] : messaging::render_headers(m_headers, values)) {
            reply.headers.emplace_back(key, std::move(list));
        }
        return reply;
    }

    const ReplyOptions& m_options;
    Io& m_io;
    nats::Connection& m_conn;
    bool m_echo;
    std::optional<Template> m_body;
    std::optional<Template> m_command;
    std::vector<messaging::HeaderTemplate> m_headers;
    Duration m_sleep{0};
    std::uint64_t m_handled = 0;
    std::mt19937_64 m_rng{std::random_device{}()};
};

} // namespace

std::vector<std::string> split_command_line(std::string_view text) {
    std::vector<std::string> words;
    std::string current;
    bool in_word = false;
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (c == ' ' || c == '\t' || c == '\n') {
            if (in_word) {
                words.push_back(std::move(current));
                current.clear();
                in_word = false;
            }
            ++i;
        } else if (c == '\'') {
            const std::size_t end = text.find('\'', i + 1);
            if (end == std::string_view::npos) {
                throw UsageError("unterminated ' in --command \"" + std::string(text) + "\"");
            }
            current += text.substr(i + 1, end - i - 1);
            in_word = true;
            i = end + 1;
        } else if (c == '"') {
            ++i;
            bool closed = false;
            while (i < text.size()) {
                if (text[i] == '"') {
                    closed = true;
                    ++i;
                    break;
                }
                if (text[i] == '\\' && i + 1 < text.size()
                    && (text[i + 1] == '"' || text[i + 1] == '\\')) {
                    ++i;
                }
                current += text[i];
                ++i;
            }
            if (!closed) {
                throw UsageError("unterminated \" in --command \"" + std::string(text) + "\"");
            }
            in_word = true;
        } else if (c == '\\' && i + 1 < text.size()) {
            current += text[i + 1];
            in_word = true;
            i += 2;
        } else {
            current += c;
            in_word = true;
            ++i;
        }
    }
    if (in_word) {
        words.push_back(std::move(current));
    }
    return words;
}

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
    const messaging::UntiedErr untied(io);
    auto connection = runtime.connect(/*reconnect=*/true);
    Replier replier(options, io, connection, echo);
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
