#pragma once

// Helpers shared by the pub, sub, request and reply commands (private to src/commands).

#include <natty/context/settings.hpp>
#include <natty/io.hpp>
#include <natty/nats/connection.hpp>
#include <natty/nats/message.hpp>
#include <natty/nats/publish.hpp>
#include <natty/util/interrupt.hpp>
#include <natty/util/template.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace natty::messaging {

// One -H flag compiled once: the key and its value template.
struct HeaderTemplate {
    std::string key;
    Template value;
};

// Parses and compiles repeatable -H Key:Value flags; throws UsageError naming the bad one.
std::vector<HeaderTemplate> compile_headers(const std::vector<std::string>& flags,
                                            bool templates,
                                            TemplateFeatures features = {});

// Renders header values for one message and validates them (no CR/LF injection).
nats::Headers render_headers(const std::vector<HeaderTemplate>& headers,
                             const TemplateValues& values);

// Compiles a template, or takes the text literally when templates are off.
Template compile_or_literal(const std::string& text,
                            const std::string& what,
                            bool templates,
                            TemplateFeatures features = {});

// Text that arrived as data (stdin, one line of it) is a template only when templates are on
// and it is valid UTF-8: binary input is never interpreted.
Template compile_input(const std::string& text, const std::string& what, bool templates);

// What pub and request compile before connecting: the subject (checked as rendered for the
// first message when it is a template) and the -H headers.
struct Plan {
    Template subject;
    std::vector<HeaderTemplate> headers;
};
// Throws UsageError naming a bad subject, template or header.
Plan compile_plan(const std::string& subject,
                  const std::vector<std::string>& header_flags,
                  bool templates);

// The template's text when it is constant (no copy per message), else its rendering, kept in
// `storage`.
const std::string&
render_into(const Template& t, const TemplateValues& values, std::string& storage);
// render_into() for the subject of message number values.count, checked when it is a template.
const std::string&
render_subject(const Template& subject, const TemplateValues& values, std::string& storage);

// Where the message body comes from: the BODY argument, else stdin when it is piped, when
// both stdin and stdout are a terminal (typing until EOF), or with --force-stdin.
bool body_from_stdin(const Io& io, bool has_body_arg, bool force_stdin);

// The most stdin may hold for one message on `connection`: the server's max_payload (64 MiB,
// the most a server allows, if it announced none).
std::size_t stdin_limit(const nats::Connection& connection);

// The BODY argument, compiled before connecting; nullopt when the body comes from stdin
// (body_from_stdin()), which is read only once connected (read_stdin_body()).
std::optional<Template> body_argument(const Io& io,
                                      const std::optional<std::string>& body,
                                      bool force_stdin,
                                      bool templates);

// How read_stdin_body() reads stdin.
struct StdinRead {
    std::size_t max_payload = 0;     // more than this is refused (UsageError), nothing sent
    const InterruptGuard* interrupt; // a signal while reading ends the command, nothing sent
    bool announce = false;           // say on stderr when it waits for typing on a terminal
};
// All of stdin as the body (see compile_input()), bounded by the server's max_payload. An
// interrupted read notes it and throws SilentExit (130/143).
Template read_stdin_body(Io& io, bool templates, const StdinRead& how);
// All of stdin, at most `max_payload` bytes (else UsageError naming `what` and the limit); an
// interrupted read notes it and throws SilentExit (130/143).
std::string read_stdin(Io& io, std::size_t max_payload, const InterruptGuard& interrupt);

// Refuses a message larger than the server's max_payload before it is sent.
void check_payload_size(std::size_t data_size,
                        const nats::Headers& headers,
                        std::int64_t max_payload,
                        const std::string& subject,
                        std::uint64_t already_sent);


// Flushes within --timeout, then raise_async_error(): the server answers the flush only after
// it has processed (and refused) everything sent before it.
void flush_and_raise(nats::Connection& connection, const std::string& what);

// The inbox prefix: --inbox-prefix (validated, UsageError naming it) or "_INBOX".
std::string inbox_prefix(const Settings& settings);
// A new inbox subject under the prefix: "<prefix>.<22 random characters>".
std::string new_inbox(const std::string& prefix);

// While alive, writing to io.err no longer flushes io.out first (std::cerr is tied to
// std::cout). For commands that stream to stdout: a note from the command's own thread (a
// reconnect, the Ctrl-C summary) must not wait on a stalled reader. Such commands flush out
// themselves.
class UntiedErr {
public:
    explicit UntiedErr(Io& io) : m_err(io.err), m_previous(io.err.tie(nullptr)) {}
    UntiedErr(const UntiedErr&) = delete;
    UntiedErr& operator=(const UntiedErr&) = delete;
    ~UntiedErr() { m_err.tie(m_previous); }

private:
    std::ostream& m_err;
    std::ostream* m_previous;
};

// The compact JSON object for one message (a JSON Lines record). Built by hand, not with
// nlohmann-json, because sub --json writes one per message and must keep up with fast
// publishers: for a 128-byte message with one header it takes ~7,100 instructions against
// ~25,900 for the same bytes from nlohmann::ordered_json (callgrind, 100,000 messages). Every
// other JSON document uses nlohmann-json. `leading` and `trailing` are extra
// `"key":value` members (or empty) around subject, reply, headers, size, time and data (or
// data_b64 + encoding). `subject` replaces the message's own when not empty: a reply arrives
// on the requester's inbox, but request --json reports the subject it asked.
std::string message_json(const nats::Message& msg,
                         std::chrono::system_clock::time_point t,
                         std::string_view leading = {},
                         std::string_view trailing = {},
                         std::string_view subject = {});

// Writes the body for humans: binary bodies are summarised instead of dumped when stdout is a
// terminal; an empty body shows as "nil body".
void write_human_body(Io& io, std::string_view body);
// Headers for humans as "Key: value" lines (one per value, keys sorted), printable() so a
// header from the wire cannot drive the terminal; sub writes them to stdout, request and reply
// note them on stderr.
std::vector<std::string> header_lines(const nats::Headers& headers);

} // namespace natty::messaging
