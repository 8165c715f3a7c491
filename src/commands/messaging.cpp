#include "messaging.hpp"

#include <natty/error.hpp>
#include <natty/nats/error.hpp>
#include <natty/output/output.hpp>
#include <natty/util/json_escape.hpp>
#include <natty/util/printable.hpp>
#include <natty/util/subject.hpp>
#include <natty/util/time.hpp>
#include <natty/util/utf8.hpp>

#include <ctime>
#include <istream>
#include <ostream>

namespace natty::messaging {

std::vector<HeaderTemplate>
compile_headers(const std::vector<std::string>& flags, bool templates, TemplateFeatures features) {
    std::vector<HeaderTemplate> out;
    for (const auto& flag : flags) {
        auto [key, value] = parse_header_flag(flag, "-H");
        Template t = compile_or_literal(value, "header " + key, templates, features);
        if (t.is_constant()) {
            if (auto why = header_value_problem(value)) {
                throw UsageError("invalid -H header \"" + key + "\": " + *why,
                                 "header values are one line of text");
            }
        }
        out.push_back(HeaderTemplate{key, std::move(t)});
    }
    return out;
}

nats::Headers render_headers(const std::vector<HeaderTemplate>& headers,
                             const TemplateValues& values) {
    nats::Headers out;
    for (const auto& h : headers) {
        std::string value = h.value.render(values);
        if (!h.value.is_constant()) {
            if (auto why = header_value_problem(value)) {
                throw UsageError("header \"" + h.key + "\" rendered to an invalid value: " + *why);
            }
        }
        auto it = std::find_if(
            out.begin(), out.end(), [&](const auto& entry) { return entry.first == h.key; });
        if (it == out.end()) {
            out.emplace_back(h.key, std::vector<std::string>{std::move(value)});
        } else {
            it->second.push_back(std::move(value));
        }
    }
    return out;
}

Template compile_or_literal(const std::string& text,
                            const std::string& what,
                            bool templates,
                            TemplateFeatures features) {
    return templates ? Template::compile(text, what, features) : Template::literal(text);
}

Template compile_input(const std::string& text, const std::string& what, bool templates) {
    return compile_or_literal(text, what, templates && is_valid_utf8(text));
}

Plan compile_plan(const std::string& subject,
                  const std::vector<std::string>& header_flags,
                  bool templates) {
    Plan plan{compile_or_literal(subject, "subject", templates), {}};
    if (plan.subject.is_constant()) {
        require_publish_subject(subject, "subject");
    } else {
        require_publish_subject(plan.subject.render(TemplateValues{}), "subject (as rendered)");
    }
    plan.headers = compile_headers(header_flags, templates);
    return plan;
}

const std::string&
render_into(const Template& t, const TemplateValues& values, std::string& storage) {
    if (t.is_constant()) {
        return t.source();
    }
    storage = t.render(values);
    return storage;
}

const std::string&
render_subject(const Template& subject, const TemplateValues& values, std::string& storage) {
    const std::string& rendered = render_into(subject, values, storage);
    if (!subject.is_constant()) {
        require_publish_subject(rendered,
                                "subject (as rendered for message " + std::to_string(values.count)
                                    + ")");
    }
    return rendered;
}

bool body_from_stdin(const Io& io, bool has_body_arg, bool force_stdin) {
    if (has_body_arg) {
        return false;
    }
    return force_stdin || !io.stdin_is_tty || io.stdout_is_tty;
}

std::size_t stdin_limit(const nats::Connection& connection) {
    constexpr std::int64_t k_largest_max_payload = 64LL * 1024 * 1024;
    const std::int64_t max = connection.max_payload();
    return static_cast<std::size_t>(max > 0 ? max : k_largest_max_payload);
}

std::string read_stdin(Io& io, std::size_t max_payload, const InterruptGuard& interrupt) {
    std::optional<std::string> data = io.read_input(max_payload, &interrupt);
    if (!data) {
        io.note("natty: interrupted while reading stdin; nothing was sent");
        throw SilentExit(interrupt.exit_code());
    }
    if (data->size() > max_payload) {
        throw UsageError("stdin holds more than the server's max_payload of "
                             + output::with_commas(max_payload) + " bytes; nothing was sent",
                         "send less, or raise max_payload in the server configuration");
    }
    return std::move(*data);
}

std::optional<Template> body_argument(const Io& io,
                                      const std::optional<std::string>& body,
                                      bool force_stdin,
                                      bool templates) {
    if (body_from_stdin(io, body.has_value(), force_stdin)) {
        return std::nullopt;
    }
    return compile_or_literal(body.value_or(""), "body", templates);
}

Template read_stdin_body(Io& io, bool templates, const StdinRead& how) {
    if (how.announce && io.stdin_is_tty) {
        io.note("Reading payload from STDIN (end with Ctrl-D)");
    }
    return compile_input(
        read_stdin(io, how.max_payload, *how.interrupt), "body from stdin", templates);
}

void check_payload_size(std::size_t data_size,
                        const nats::Headers& headers,
                        std::int64_t max_payload,
                        const std::string& subject,
                        std::uint64_t already_sent) {
    const std::size_t total = data_size + nats::header_wire_size(headers);
    if (max_payload > 0 && total > static_cast<std::size_t>(max_payload)) {
        throw UsageError("message to \"" + subject + "\" is " + output::with_commas(total)
                             + " bytes (body and headers), more than the server's max_payload of "
                             + output::with_commas(static_cast<std::uint64_t>(max_payload)) + " bytes",
                         already_sent == 0
                             ? "send a smaller body, or raise max_payload in the server "
                               "configuration; nothing was sent"
                             : "send a smaller body; " + output::with_commas(already_sent)
                                   + " earlier messages were sent");
    }
}

void flush_and_raise(nats::Connection& connection, const std::string& what) {
    try {
        connection.flush(connection.spec().timeout);
    } catch (const nats::NatsError&) {
        nats::raise_async_error(connection, what);
        nats::raise_if_closed(connection, what);
        throw;
    }
    nats::raise_async_error(connection, what);
}

std::string inbox_prefix(const Settings& settings) {
    const std::string& prefix = settings.values.inbox_prefix;
    return prefix.empty() ? std::string("_INBOX") : prefix; // validated with the settings
}

std::string new_inbox(const std::string& prefix) {
    std::mt19937_64 rng{std::random_device{}()};
    return prefix + "." + new_id(rng);
}

namespace {

// "headers":{"Key":["value",...]} when every key and value is UTF-8, else
// "headers_b64":{...} with every key and value base64-encoded, so no value is ambiguous.
void append_headers_json(std::string& out, const nats::Headers& headers) {
    bool text = true;
    for (const auto& [key, values] : headers) {
        text = text && is_valid_utf8(key);
        for (const auto& value : values) {
            text = text && is_valid_utf8(value);
        }
    }
    const auto field = [text](std::string_view raw) {
        return text ? std::string(raw) : output::base64_encode(raw);
    };
    out += text ? ",\"headers\":{" : ",\"headers_b64\":{";
    bool first_key = true;
    for (const auto& [key, values] : headers) {
        out += first_key ? "" : ",";
        first_key = false;
        append_json_string(out, field(key));
        out += ":[";
        for (std::size_t i = 0; i < values.size(); ++i) {
            out += i != 0 ? "," : "";
            append_json_string(out, field(values[i]));
        }
        out += ']';
    }
    out += '}';
}

} // namespace

std::string message_json(const nats::Message& msg,
                         std::chrono::system_clock::time_point t,
                         std::string_view leading,
                         std::string_view trailing,
                         std::string_view subject) {
    const std::string_view data = msg.data();
    std::string out;
    out.reserve(128 + data.size() + data.size() / 3);
    out += '{';
    if (!leading.empty()) {
        out += leading;
        out += ',';
    }
    out += "\"subject\":";
    append_json_string(out, subject.empty() ? msg.subject() : subject);
    if (!msg.reply().empty()) {
        out += ",\"reply\":";
        append_json_string(out, msg.reply());
    }
    const auto headers = msg.headers();
    if (!headers.empty()) {
        append_headers_json(out, headers);
    }
    out += ",\"size\":";
    out += std::to_string(data.size());
    out += ",\"time\":\"";
    out += rfc3339_nano_utc(t);
    out += '"';
    if (is_valid_utf8(data)) {
        out += ",\"data\":";
        append_json_string(out, data);
    } else {
        out += ",\"data_b64\":\"";
        out += output::base64_encode(data);
        out += "\",\"encoding\":\"base64\"";
    }
    if (!trailing.empty()) {
        out += ',';
        out += trailing;
    }
    out += '}';
    return out;
}

void write_human_body(Io& io, std::string_view body) {
    if (body.empty()) {
        io.out << "nil body\n";
        return;
    }
    if (io.stdout_is_tty && !is_displayable_text(body)) {
        io.out << "<binary body, " << output::with_commas(body.size())
               << " bytes: use --raw, --json or --dump to see it>\n";
        return;
    }
    io.out << body;
    if (body.back() != '\n') {
        io.out << '\n';
    }
}

std::vector<std::string> header_lines(const nats::Headers& headers) {
    std::vector<std::string> lines;
    for (const auto& [key, values] : headers) {
        for (const auto& value : values) {
            lines.push_back(printable(key) + ": " + printable(value));
        }
    }
    return lines;
}

} // namespace natty::messaging
