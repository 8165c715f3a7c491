#include "messaging.hpp"

#include <natty/commands/kv.hpp>
#include <natty/commands/server.hpp>
#include <natty/error.hpp>
#include <natty/nats/connection.hpp>
#include <natty/nats/error.hpp>
#include <natty/nats/handle.hpp>
#include <natty/nats/jetstream.hpp>
#include <natty/nats/kv.hpp>
#include <natty/nats/message.hpp>
#include <natty/nats/subscription.hpp>
#include <natty/net/probe.hpp>
#include <natty/output/check.hpp>
#include <natty/output/output.hpp>
#include <natty/util/atomic_file.hpp>
#include <natty/util/duration.hpp>
#include <natty/util/subject.hpp>
#include <natty/util/template.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <random>
#include <regex>

namespace natty {
namespace {

using Clock = std::chrono::steady_clock;
using output::CheckFormat;
using output::CheckResult;
using output::CheckStatus;
using output::Direction;
using output::PerfItem;

constexpr const char* k_check_footer =
    R"(Exit codes (Nagios): 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (a bad flag or
configuration); --format prometheus always exits 0.)";

double seconds_of(Duration d) {
    return std::chrono::duration<double>(d).count();
}

// Go-style duration text of a measured time, at nanosecond precision ("37.14225ms").
std::string took(Duration d) {
    return format_go_duration(d);
}

std::string percent_text(double pct) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", pct);
    return buf;
}

// An UNKNOWN message from a usage or configuration error: what was wrong, then what to do.
std::string unknown_text(const Error& e) {
    return e.hint().empty() ? std::string(e.what()) : std::string(e.what()) + " (" + e.hint() + ")";
}

// A duration threshold flag: empty or zero = off (the Go CLI's connection check would always
// fire on 0); malformed = UNKNOWN naming the flag.
std::optional<double>
duration_threshold(const std::string& text, const std::string& flag, CheckResult& result) {
    if (text.empty()) {
        return std::nullopt;
    }
    try {
        const Duration threshold = parse_duration(text, flag);
        return threshold == Duration::zero() ? std::nullopt
                                             : std::optional<double>(seconds_of(threshold));
    } catch (const Error& e) {
        result.unknown(unknown_text(e));
        return std::nullopt;
    }
}

// A numeric threshold flag: negative = off; malformed = UNKNOWN naming the flag.
std::optional<double>
number_threshold(const std::string& text, const std::string& flag, CheckResult& result) {
    double value = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || ptr != end || !std::isfinite(value)) {
        result.unknown("invalid " + flag + " \"" + text + "\": expected a number (-1 = off)");
        return std::nullopt;
    }
    return value < 0 ? std::nullopt : std::optional<double>(value);
}

// Chooses the output format; a bad one is UNKNOWN, rendered as Nagios.
CheckFormat check_format(const CheckOutputOptions& options, CheckResult& result) {
    if (const auto format = output::parse_check_format(options.format)) {
        return *format;
    }
    result.unknown("invalid --format \"" + options.format
                   + "\": use nagios, json, prometheus or text");
    return CheckFormat::nagios;
}

// Writes the rendered result to stdout or --outfile and ends with the Nagios exit code.
void emit_check(const CheckResult& result,
                CheckFormat format,
                const CheckOutputOptions& options,
                Runtime& runtime) {
    const std::string text = output::render_check(result, format, options.name_space);
    if (!options.outfile.empty()) {
        write_file_atomic(options.outfile, text, 0600);
    } else {
        runtime.io().out << text;
        runtime.io().flush_out();
    }
    if (const int code = output::check_exit_code(result, format); code != 0) {
        throw SilentExit(static_cast<ExitCode>(code));
    }
}

// Resolves settings; a bad context or URL is UNKNOWN (the check could not be run as asked).
const Settings* settings_or_unknown(Runtime& runtime, CheckResult& result) {
    try {
        return &runtime.settings();
    } catch (const Error& e) {
        result.unknown(unknown_text(e));
        return nullptr;
    }
}

std::string phase_label(net::ProbeStage stage) {
    switch (stage) {
    case net::ProbeStage::dns:
        return "dns";
    case net::ProbeStage::tcp:
        return "tcp";
    case net::ProbeStage::tls:
        return "tls";
    case net::ProbeStage::info:
    case net::ProbeStage::handshake:
        return "handshake";
    case net::ProbeStage::done:
        break;
    }
    return "";
}

net::ProbeOptions probe_options_for(const Settings& settings) {
    net::ProbeOptions options;
    options.timeout = settings.timeout;
    options.ca_file = settings.values.ca;
    options.cert_file = settings.values.cert;
    options.key_file = settings.values.key;
    options.force_tls = settings.tls_required();
    // Credentials the raw probe cannot present (creds, nkey) leave the handshake phase untimed.
    options.nats_handshake = settings.values.creds.empty() && settings.values.nkey.empty();
    options.user = settings.values.user;
    options.password = settings.values.password;
    options.token = settings.values.token;
    options.connection_name = settings.connection_name + " (probe)";
    return options;
}

// The connection check's one critical message after a failed connect, naming the phase that
// failed when the probe found it.
void connection_failed(CheckResult& result,
                       const std::string& reason,
                       const net::ProbeResult& probe) {
    const std::string phase = phase_label(probe.failed_at);
    if (phase.empty()) {
        result.critical("connection failed: " + reason);
        return;
    }
    result.critical("connection failed: " + reason + " (failed phase: " + phase + ")");
    result.extra("failed_phase", phase);
}

// Connects for a check; on failure records `connection failed: <reason>` and returns nullopt.
std::optional<nats::Connection> connect_for_check(Runtime& runtime, CheckResult& result) {
    try {
        return runtime.connect();
    } catch (const Error& e) {
        result.critical(std::string("connection failed: ") + e.what());
        return std::nullopt;
    }
}

// Classifies a measured duration against thresholds and records the message; `exceeded` words
// a fired threshold (in seconds).
void classify_time(CheckResult& result,
                   Duration measured,
                   std::optional<double> warn,
                   std::optional<double> crit,
                   const std::string& ok_text,
                   const std::function<std::string(double)>& exceeded) {
    const CheckStatus status =
        output::classify(seconds_of(measured), warn, crit, Direction::higher_is_worse);
    if (status == CheckStatus::ok) {
        result.ok(ok_text);
        return;
    }
    result.add(status, exceeded(status == CheckStatus::critical ? *crit : *warn));
}

std::string random_payload(std::size_t size) {
    static constexpr std::string_view k_alphabet =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    std::random_device device;
    std::mt19937 engine(device());
    std::uniform_int_distribution<std::size_t> pick(0, k_alphabet.size() - 1);
    std::string payload(size, ' ');
    for (auto& c : payload) {
        c = k_alphabet[pick(engine)];
    }
    return payload;
}

// The Go CLI's round trip: publish 100 random bytes to a fresh inbox (under --inbox-prefix) we
// subscribe to, and time until they come back. Returns the time or records a critical message.
std::optional<Duration>
self_round_trip(nats::Connection& conn, const Settings& settings, CheckResult& result) {
    const std::string& prefix = settings.values.inbox_prefix;
    std::mt19937_64 rng{std::random_device{}()};
    const std::string subject =
        (prefix.empty() ? std::string("_INBOX") : prefix) + "." + new_id(rng);
    const std::string payload = random_payload(100);
    const auto start = Clock::now();
    std::optional<nats::Subscription> sub;
    try {
        sub.emplace(nats::Subscription::subscribe(conn, subject));
        messaging::publish(conn, subject, {}, payload, {});
    } catch (const Error& e) {
        result.critical(std::string("could not round-trip a message: ") + e.what());
        return std::nullopt;
    }
    // Waits in slices so a permission error reported meanwhile ends the wait at once.
    const auto deadline = start + settings.timeout;
    std::optional<nats::Message> msg;
    std::optional<nats::AsyncError> denied;
    try {
        while (!msg && !denied && !sub->finished() && Clock::now() < deadline) {
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
            msg = sub->next(std::min(left, std::chrono::milliseconds(50)));
            denied = conn.take_async_error();
        }
    } catch (const Error& e) {
        result.critical("did not receive from " + subject + ": " + e.what());
        return std::nullopt;
    }
    if (!msg) {
        result.critical("did not receive from " + subject + ": "
                        + (denied ? denied->text
                                        + " (a user limited to other inboxes needs "
                                          "--inbox-prefix)"
                           : sub->finished()
                               ? std::string("the connection closed")
                               : "timeout after " + format_go_duration(settings.timeout)));
        return std::nullopt;
    }
    const Duration elapsed = Clock::now() - start;
    if (msg->data() != payload) {
        result.critical("did not receive expected message");
        return std::nullopt;
    }
    return elapsed;
}

void add_phase_perfdata(CheckResult& result, const net::ProbeResult& probe) {
    result.perf({"dns_time",
                 seconds_of(probe.dns_time),
                 "s",
                 {},
                 {},
                 "Time taken to resolve the server host name"});
    result.perf({"tcp_time",
                 seconds_of(probe.tcp_time),
                 "s",
                 {},
                 {},
                 "Time taken to open the TCP connection"});
    if (probe.tls_attempted) {
        result.perf({"tls_time",
                     seconds_of(probe.tls_time),
                     "s",
                     {},
                     {},
                     "Time taken by the TLS handshake"});
    }
    if (probe.handshake_done) {
        result.perf({"handshake_time",
                     seconds_of(probe.handshake_time),
                     "s",
                     {},
                     {},
                     "Time from TCP connect to PONG without TLS: INFO, CONNECT, PING"});
    }
}

std::string days_text(long long seconds) {
    const long long days = seconds / 86400;
    const long long hours = (seconds % 86400) / 3600;
    return std::to_string(days) + "d" + std::to_string(hours) + "h";
}

void check_tls_expiry(CheckResult& result,
                      const net::ProbeResult& probe,
                      std::optional<double> warn,
                      std::optional<double> crit) {
    if (!probe.tls_attempted || probe.chain.empty()) {
        result.critical("TLS expiry check requested but the server did not present a "
                        "certificate (no TLS on this port)");
        return;
    }
    const auto& cert = probe.chain.front();
    const auto left = static_cast<double>(cert.seconds_left);
    const CheckStatus status = output::classify(left, warn, crit, Direction::lower_is_worse);
    std::string text = cert.seconds_left < 0
                           ? "TLS certificate expired " + days_text(-cert.seconds_left) + " ago ("
                                 + cert.not_after + ")"
                           : "TLS certificate expires in " + days_text(cert.seconds_left) + " ("
                                 + cert.not_after + ")";
    if (status != CheckStatus::ok) {
        const double threshold = status == CheckStatus::critical ? *crit : *warn;
        text += ", within " + days_text(static_cast<long long>(threshold));
    }
    result.add(status, text);
    result.perf(
        {"tls_expiry", left, "s", warn, crit, "Seconds until the server certificate expires"});
}

// Validates a subject to publish to: nats.c 3.4 would send spaces or CR/LF unchecked.
void add_output_flags(CLI::App* cmd, CheckOutputOptions& o) {
    cmd->add_option(
           "--format", o.format, "Output format: nagios (default), json, prometheus or text")
        ->type_name("FORMAT");
    cmd->add_option("--outfile",
                    o.outfile,
                    "Write the result to FILE (atomically, mode 0600) instead of stdout")
        ->type_name("FILE");
    cmd->add_option(
           "--namespace", o.name_space, "Prometheus metric namespace (default nats_server_check)")
        ->type_name("NAME");
}

} // namespace

void run_check_connection(const ConnectionCheckOptions& options, Runtime& runtime) {
    CheckResult result("Connection", "connections");
    const CheckFormat format = check_format(options.output, result);
    const auto connect_warn = duration_threshold(options.connect_warn, "--connect-warn", result);
    const auto connect_crit =
        duration_threshold(options.connect_critical, "--connect-critical", result);
    const auto rtt_warn = duration_threshold(options.rtt_warn, "--rtt-warn", result);
    const auto rtt_crit = duration_threshold(options.rtt_critical, "--rtt-critical", result);
    const auto req_warn = duration_threshold(options.req_warn, "--req-warn", result);
    const auto req_crit = duration_threshold(options.req_critical, "--req-critical", result);
    const auto expiry_warn =
        duration_threshold(options.tls_expiry_warn, "--tls-expiry-warn", result);
    const auto expiry_crit =
        duration_threshold(options.tls_expiry_critical, "--tls-expiry-critical", result);
    const Settings* settings =
        result.has_unknown() ? nullptr : settings_or_unknown(runtime, result);
    if (settings == nullptr) {
        emit_check(result, format, options.output, runtime);
        return;
    }
    const net::ProbeOptions probe_options = probe_options_for(*settings);
    const auto servers = settings->servers();

    // Where the time goes, phase by phase. With one server, a probe that ran out of time is the
    // answer already: nats.c would only wait as long again (and its diagnosis once more).
    std::optional<net::ProbeResult> probe;
    if (servers.size() == 1) {
        probe = net::probe(servers.front(), probe_options);
        if (probe->timed_out) {
            connection_failed(result,
                              "cannot connect to " + servers.front().redacted() + ": "
                                  + probe->error,
                              *probe);
            emit_check(result, format, options.output, runtime);
            return;
        }
    }
    const auto start = Clock::now();
    std::optional<nats::Connection> conn;
    try {
        conn.emplace(runtime.connect());
    } catch (const Error& e) {
        if (!probe) {
            probe = net::probe(servers.front(), probe_options);
        }
        connection_failed(result, e.what(), *probe);
        emit_check(result, format, options.output, runtime);
        return;
    }
    const Duration connect_time = Clock::now() - start;
    const std::string url = conn->connected_url();
    // The Go CLI's wording: a fired threshold as a float of seconds, the round trip as %f.
    classify_time(result,
                  connect_time,
                  connect_warn,
                  connect_crit,
                  "connected to " + url + " in " + took(connect_time),
                  [&](double threshold) {
                      return "connected to " + url + ", connect time exceeded "
                             + output::format_go_float(threshold);
                  });

    std::optional<Duration> rtt;
    try {
        rtt = conn->flush(settings->timeout);
        classify_time(result, *rtt, rtt_warn, rtt_crit, "rtt time " + took(*rtt), [](double t) {
            return "rtt time exceeded " + output::format_go_float(t);
        });
    } catch (const Error& e) {
        result.critical(std::string("rtt failed: ") + e.what());
    }

    const auto round_trip = self_round_trip(*conn, *settings, result);
    if (round_trip) {
        char seconds[64];
        std::snprintf(seconds, sizeof seconds, "%f", seconds_of(*round_trip));
        classify_time(result,
                      *round_trip,
                      req_warn,
                      req_crit,
                      "round trip took " + std::string(seconds) + "s",
                      [&](double) { return "round trip request took " + std::string(seconds); });
    }

    result.perf({"connect_time",
                 seconds_of(connect_time),
                 "s",
                 connect_warn,
                 connect_crit,
                 "Time taken to connect to NATS"});
    if (rtt) {
        result.perf({"rtt",
                     seconds_of(*rtt),
                     "s",
                     rtt_warn,
                     rtt_crit,
                     "The round-trip-time of the connection"});
    }
    if (round_trip) {
        result.perf({"request_time",
                     seconds_of(*round_trip),
                     "s",
                     req_warn,
                     req_crit,
                     "Time taken for a full Request-Reply operation"});
    }

    if (!probe) {
        // Of several servers, the one nats.c picked.
        probe = net::probe(parse_server_list(url).front(), probe_options);
    }
    if (probe->failed_at == net::ProbeStage::done) {
        add_phase_perfdata(result, *probe);
    }
    if (expiry_warn || expiry_crit) {
        check_tls_expiry(result, *probe, expiry_warn, expiry_crit);
    }
    emit_check(result, format, options.output, runtime);
}

namespace {

// The --key part of the kv check: present with a value, else why not.
void check_kv_key(CheckResult& result,
                  nats::KvBucket& bucket,
                  const std::string& key,
                  Duration timeout) {
    if (const auto record = bucket.get(key)) {
        result.ok("key " + key + " found at revision " + std::to_string(record->revision));
        return;
    }
    const auto history = bucket.history(key, timeout);
    if (history.empty()) {
        result.critical("key " + key + " not found");
        return;
    }
    const auto& last = history.back();
    result.critical("key " + key + " is " + (last.op == nats::KvOp::purge ? "purged" : "deleted")
                    + " (revision " + std::to_string(last.revision) + ")");
}

} // namespace

void run_check_kv(const KvCheckOptions& options, Runtime& runtime) {
    CheckResult result(options.bucket.empty() ? "KV" : options.bucket, "kv");
    const CheckFormat format = check_format(options.output, result);
    const auto warn = number_threshold(options.values_warn, "--values-warn", result);
    const auto crit = number_threshold(options.values_critical, "--values-critical", result);
    if (options.bucket.empty()) {
        result.unknown("--bucket is required");
    } else if (const std::string problem = kv_bucket_problem(options.bucket); !problem.empty()) {
        result.unknown("invalid --bucket: " + problem);
    }
    if (!options.key.empty()) {
        if (const std::string problem = kv_key_problem(options.key); !problem.empty()) {
            result.unknown("invalid --key: " + problem);
        }
    }
    const Settings* settings =
        result.has_unknown() ? nullptr : settings_or_unknown(runtime, result);
    if (settings == nullptr) {
        emit_check(result, format, options.output, runtime);
        return;
    }
    auto conn = connect_for_check(runtime, result);
    if (!conn) {
        emit_check(result, format, options.output, runtime);
        return;
    }
    try {
        nats::JetStream js(*conn);
        const auto stream = nats::kv_bucket_stream(js, options.bucket);
        if (!stream) {
            throw Error(ExitCode::not_found, "bucket " + options.bucket + " not found");
        }
        const std::uint64_t count = stream->State.Msgs;
        const auto values = static_cast<double>(count);
        const CheckStatus values_status = output::classify(values, warn, crit);
        std::string text = "bucket " + options.bucket + " has " + std::to_string(count) + " values";
        if (values_status != CheckStatus::ok) {
            const double threshold = values_status == CheckStatus::critical ? *crit : *warn;
            char buf[32];
            std::snprintf(buf, sizeof buf, "%0.0f", threshold);
            text += " (threshold " + std::string(buf) + ")";
        }
        result.add(values_status, text);
        result.perf({"values", values, "", warn, crit, "How many values the bucket holds"});
        result.perf({"bytes",
                     static_cast<double>(stream->State.Bytes),
                     "B",
                     {},
                     {},
                     "Bytes stored in the bucket"});
        result.perf({"replicas",
                     static_cast<double>(stream->Config != nullptr ? stream->Config->Replicas : 1),
                     "",
                     {},
                     {},
                     "Replicas of the bucket"});
        if (!options.key.empty()) {
            auto bucket = nats::KvBucket::open(js, options.bucket);
            check_kv_key(result, bucket, options.key, settings->timeout);
        }
    } catch (const Error& e) {
        result.critical(e.what());
    }
    emit_check(result, format, options.output, runtime);
}

namespace {

// A cap given by flag for when the account reports none: "" or -1 = not given; malformed or
// zero = UNKNOWN naming the flag.
std::optional<std::int64_t>
size_flag(const std::string& text, const std::string& flag, CheckResult& result) {
    if (text.empty()) {
        return std::nullopt;
    }
    try {
        const std::int64_t bytes = parse_size(text, flag);
        if (bytes == 0) {
            result.unknown(flag + " must be more than 0 bytes (-1 = not given)");
            return std::nullopt;
        }
        return bytes < 0 ? std::nullopt : std::optional<std::int64_t>(bytes);
    } catch (const Error& e) {
        result.unknown(unknown_text(e));
        return std::nullopt;
    }
}

// One JetStream resource: its use against the account limit or, when the account has none,
// against the cap given by `cap_flag` (the server's own limit, which nats-server does not tell
// an ordinary user).
struct UsageCheck {
    std::string label;      // "memory", "storage"
    std::string cap_flag;   // "--mem-limit"
    std::string server_key; // "max_memory_store"
    std::uint64_t used = 0;
    std::int64_t account_limit = -1; // <= 0: none
    std::optional<std::int64_t> flag_limit{};
    std::optional<double> warn{}, crit{};
};

void check_usage(CheckResult& result, const UsageCheck& usage) {
    result.perf({usage.label,
                 static_cast<double>(usage.used),
                 "B",
                 {},
                 {},
                 "JetStream " + usage.label + " in use (bytes)"});
    const bool account = usage.account_limit > 0;
    if (!account && !usage.flag_limit) {
        result.ok(usage.label + " " + std::to_string(usage.used)
                  + " bytes used, no account limit (give " + usage.cap_flag + " SIZE, the server's "
                  + usage.server_key + ", to check against it)");
        return;
    }
    const std::int64_t limit = account ? usage.account_limit : *usage.flag_limit;
    const double pct = static_cast<double>(usage.used) * 100.0 / static_cast<double>(limit);
    const CheckStatus status =
        output::classify(pct, usage.warn, usage.crit, Direction::higher_is_worse);
    std::string text =
        usage.label + " using " + percent_text(pct) + " of " + std::to_string(limit) + " bytes";
    std::string notes;
    if (status != CheckStatus::ok) {
        notes = "threshold "
                + percent_text(status == CheckStatus::critical ? *usage.crit : *usage.warn);
    }
    if (!account) {
        notes += (notes.empty() ? "" : "; ") + ("limit from " + usage.cap_flag)
                 + ", the account has none";
    }
    if (!notes.empty()) {
        text += " (" + notes + ")";
    }
    result.add(status, text);
    result.perf({usage.label + "_pct",
                 pct,
                 "%",
                 usage.warn,
                 usage.crit,
                 "JetStream " + usage.label + " in use, percent of the limit"});
}

} // namespace

void run_check_jetstream(const JetStreamCheckOptions& options, Runtime& runtime) {
    CheckResult result("JetStream", "jetstream");
    const CheckFormat format = check_format(options.output, result);
    UsageCheck memory{
        .label = "memory", .cap_flag = "--mem-limit", .server_key = "max_memory_store"};
    UsageCheck storage{
        .label = "storage", .cap_flag = "--store-limit", .server_key = "max_file_store"};
    memory.warn = number_threshold(options.mem_warn, "--mem-warn", result);
    memory.crit = number_threshold(options.mem_critical, "--mem-critical", result);
    storage.warn = number_threshold(options.store_warn, "--store-warn", result);
    storage.crit = number_threshold(options.store_critical, "--store-critical", result);
    memory.flag_limit = size_flag(options.mem_limit, "--mem-limit", result);
    storage.flag_limit = size_flag(options.store_limit, "--store-limit", result);
    if (result.has_unknown() || settings_or_unknown(runtime, result) == nullptr) {
        emit_check(result, format, options.output, runtime);
        return;
    }
    auto conn = connect_for_check(runtime, result);
    if (!conn) {
        emit_check(result, format, options.output, runtime);
        return;
    }
    try {
        nats::JetStream js(*conn);
        const auto info = js.account_info();
        memory.used = info->Memory;
        memory.account_limit = info->Limits.MaxMemory;
        storage.used = info->Store;
        storage.account_limit = info->Limits.MaxStore;
        check_usage(result, memory);
        check_usage(result, storage);
        result.perf(
            {"streams", static_cast<double>(info->Streams), "", {}, {}, "Streams in the account"});
        result.perf({"consumers",
                     static_cast<double>(info->Consumers),
                     "",
                     {},
                     {},
                     "Consumers in the account"});
    } catch (const Error& e) {
        result.critical(e.what());
    }
    emit_check(result, format, options.output, runtime);
}

void run_check_request(const RequestCheckOptions& options, Runtime& runtime) {
    CheckResult result("Request", "request");
    const CheckFormat format = check_format(options.output, result);
    const auto warn = duration_threshold(options.response_warn, "--response-warn", result);
    const auto crit = duration_threshold(options.response_critical, "--response-critical", result);
    if (options.subject.empty()) {
        result.unknown("--subject is required");
    } else if (const auto problem = publish_subject_problem(options.subject)) {
        result.unknown("invalid --subject \"" + options.subject + "\": " + *problem);
    }
    std::optional<std::regex> pattern;
    if (!options.match_payload.empty()) {
        try {
            pattern.emplace(options.match_payload, std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
            result.unknown("invalid --match-payload \"" + options.match_payload
                           + "\": " + e.what());
        }
    }
    const Settings* settings =
        result.has_unknown() ? nullptr : settings_or_unknown(runtime, result);
    if (settings == nullptr) {
        emit_check(result, format, options.output, runtime);
        return;
    }
    auto conn = connect_for_check(runtime, result);
    if (!conn) {
        emit_check(result, format, options.output, runtime);
        return;
    }
    if (options.payload.size() > static_cast<std::size_t>(conn->max_payload())) {
        result.unknown("--payload is larger than the server's max_payload of "
                       + std::to_string(conn->max_payload()) + " bytes");
        emit_check(result, format, options.output, runtime);
        return;
    }
    const auto start = Clock::now();
    natsMsg* raw = nullptr;
    const natsStatus status = natsConnection_Request(&raw,
                                                     conn->get(),
                                                     options.subject.c_str(),
                                                     options.payload.data(),
                                                     static_cast<int>(options.payload.size()),
                                                     to_millis(settings->timeout));
    const Duration elapsed = Clock::now() - start;
    const nats::Message reply{nats::MessageHandle(raw)};
    if (status == NATS_NO_RESPONDERS) {
        result.critical("no responders on " + options.subject);
    } else if (status == NATS_TIMEOUT) {
        std::string text = "no response on " + options.subject + " within "
                           + format_go_duration(settings->timeout);
        if (auto err = conn->take_async_error()) {
            text += ": " + err->text;
        }
        result.critical(text);
    } else if (status != NATS_OK) {
        result.critical(nats::describe(
            status, "request to " + options.subject + " failed", nats::last_error_detail(status)));
    } else {
        const std::string_view body = reply.data();
        if (pattern && !std::regex_search(body.begin(), body.end(), *pattern)) {
            result.critical("response does not match regular expression " + options.match_payload);
        } else {
            classify_time(result, elapsed, warn, crit, "Valid response", [](double t) {
                return "response time exceeded "
                       + format_go_duration(
                           std::chrono::duration_cast<Duration>(std::chrono::duration<double>(t)));
            });
        }
        result.perf({"time", seconds_of(elapsed), "s", warn, crit, "How long the request took"});
    }
    emit_check(result, format, options.output, runtime);
}

void run_server_tls(const ServerTlsOptions& options, Runtime& runtime) {
    std::optional<Duration> expire_warn;
    if (!options.expire_warn.empty()) {
        expire_warn = parse_duration(options.expire_warn, "--expire-warn");
    }
    if (options.pem && options.json) {
        throw UsageError("--pem and --json cannot be combined", "choose one output form");
    }
    const Settings& settings = runtime.settings();
    const ServerUrl url = settings.servers().front();
    net::ProbeOptions probe_options = probe_options_for(settings);
    probe_options.force_tls = true;
    probe_options.nats_handshake = false;
    const auto probe = net::probe(url, probe_options);
    const std::string target = url.redacted();
    if (probe.failed_at != net::ProbeStage::done && probe.failed_at != net::ProbeStage::tls) {
        throw Error(ExitCode::connect,
                    "cannot reach " + target + ": " + probe.error,
                    "is the server running and the URL right?");
    }
    if (!probe.tls_attempted) {
        throw Error(ExitCode::tls,
                    target + " does not offer TLS (no tls block in its config)",
                    "point --server at the server's TLS port");
    }
    if (probe.failed_at == net::ProbeStage::tls && probe.chain.empty()) {
        throw Error(ExitCode::tls, "TLS handshake with " + target + " failed: " + probe.error);
    }
    const std::string trust =
        settings.values.ca.empty() ? "the system trust store" : "CA " + settings.values.ca;
    Io& io = runtime.io();
    if (options.pem) {
        for (const auto& cert : probe.chain) {
            io.out << cert.pem;
        }
        io.flush_out();
    } else if (options.json) {
        nlohmann::json chain = nlohmann::json::array();
        for (const auto& cert : probe.chain) {
            chain.push_back({{"subject", cert.subject},
                             {"issuer", cert.issuer},
                             {"sans", cert.sans},
                             {"not_before", cert.not_before},
                             {"not_after", cert.not_after},
                             {"seconds_left", cert.seconds_left},
                             {"days_left", cert.seconds_left / 86400},
                             {"key_type", cert.key_type},
                             {"signature_algorithm", cert.signature_algorithm},
                             {"serial", cert.serial},
                             {"is_ca", cert.is_ca}});
        }
        output::write_json(io,
                           {{"url", target},
                            {"address", probe.address},
                            {"tls_version", probe.tls_version},
                            {"verified", probe.verified},
                            {"verify_error", probe.verify_error},
                            {"trust", trust},
                            {"chain", chain}});
    } else {
        io.out << "TLS connection to " << target << " (" << probe.address << "), "
               << probe.tls_version << "\n";
        io.out << "Verification against " << trust << ": "
               << (probe.verified ? std::string("OK") : "FAILED: " + probe.verify_error) << "\n";
        int index = 0;
        for (const auto& cert : probe.chain) {
            ++index;
            io.out << "\nCertificate " << index
                   << (index == 1   ? " (server)"
                       : cert.is_ca ? " (CA)"
                                    : "")
                   << "\n\n";
            output::Columns columns;
            columns.add("Subject", cert.subject);
            columns.add("Issuer", cert.issuer);
            std::string sans;
            for (const auto& san : cert.sans) {
                sans += (sans.empty() ? "" : ", ") + san;
            }
            columns.add("SANs", sans.empty() ? "(none)" : sans);
            columns.add("Not before", cert.not_before);
            columns.add("Not after", cert.not_after);
            columns.add("Days left", std::to_string(cert.seconds_left / 86400));
            columns.add("Key type", cert.key_type);
            columns.add("Signature", cert.signature_algorithm);
            columns.add("Serial", cert.serial);
            columns.add("CA", cert.is_ca ? "yes" : "no");
            columns.render(io);
        }
        io.flush_out();
    }
    if (!probe.verified) {
        throw Error(ExitCode::tls,
                    "the certificate of " + target + " does not verify against " + trust + ": "
                        + probe.verify_error,
                    settings.values.ca.empty() ? "pass the CA that signed it with --tlsca FILE"
                                               : "check --tlsca and the URL's host name");
    }
    if (expire_warn && !probe.chain.empty()) {
        const auto left = std::chrono::seconds(probe.chain.front().seconds_left);
        if (left <= *expire_warn) {
            throw Error(ExitCode::failure,
                        "the certificate of " + target + " expires in "
                            + days_text(probe.chain.front().seconds_left)
                            + ", within --expire-warn " + options.expire_warn,
                        "renew the server certificate");
        }
    }
}

void setup_server(CLI::App& app, Runtime& runtime) {
    auto* server = app.add_subcommand("server", "Check and inspect NATS servers");
    server->require_subcommand(1);

    auto* check =
        server->add_subcommand("check", "Health checks for Nagios/Icinga, Prometheus or humans");
    check->require_subcommand(1);
    check->footer(k_check_footer);

    auto conn_opts = std::make_shared<ConnectionCheckOptions>();
    auto* conn = check->add_subcommand(
        "connection",
        "Connect, PING and round-trip a message; report where the time went, e.g.\n"
        "  natty server check connection --rtt-warn 100ms --format json");
    conn->alias("conn");
    conn->footer(k_check_footer);
    add_output_flags(conn, conn_opts->output);
    conn->add_option("--connect-warn",
                     conn_opts->connect_warn,
                     "Warn when connecting takes this long (default 500ms, 0 = off)")
        ->type_name("DURATION");
    conn->add_option("--connect-critical",
                     conn_opts->connect_critical,
                     "Critical when connecting takes this long (default 1s, 0 = off)")
        ->type_name("DURATION");
    conn->add_option("--rtt-warn",
                     conn_opts->rtt_warn,
                     "Warn when the PING/PONG round trip takes this long (default 500ms, 0 = off)")
        ->type_name("DURATION");
    conn->add_option("--rtt-critical",
                     conn_opts->rtt_critical,
                     "Critical when the PING/PONG round trip takes this long (default 1s, 0 = off)")
        ->type_name("DURATION");
    conn->add_option("--req-warn",
                     conn_opts->req_warn,
                     "Warn when the message round trip takes this long (default 500ms, 0 = off)")
        ->type_name("DURATION");
    conn->add_option("--req-critical",
                     conn_opts->req_critical,
                     "Critical when the message round trip takes this long (default 1s, 0 = off)")
        ->type_name("DURATION");
    conn->add_option("--tls-expiry-warn",
                     conn_opts->tls_expiry_warn,
                     "Warn when the server certificate expires within this time, e.g. 30d")
        ->type_name("DURATION");
    conn->add_option("--tls-expiry-critical",
                     conn_opts->tls_expiry_critical,
                     "Critical when the server certificate expires within this time, e.g. 7d")
        ->type_name("DURATION");
    conn->callback([conn_opts, &runtime] { run_check_connection(*conn_opts, runtime); });

    auto kv_opts = std::make_shared<KvCheckOptions>();
    auto* kv = check->add_subcommand(
        "kv",
        "Check a KV bucket exists, its value count and optionally a key, e.g.\n"
        "  natty server check kv --bucket CONFIG --key feature.x --values-warn 1000");
    kv->footer(k_check_footer);
    add_output_flags(kv, kv_opts->output);
    kv->add_option("--bucket", kv_opts->bucket, "Bucket to check (required)")->type_name("BUCKET");
    kv->add_option("--key", kv_opts->key, "Key that must exist and not be deleted")
        ->type_name("KEY");
    kv->add_option("--values-warn",
                   kv_opts->values_warn,
                   "Warn at this many values, -1 = off (default); critical < warn inverts")
        ->type_name("N");
    kv->add_option("--values-critical",
                   kv_opts->values_critical,
                   "Critical at this many values, -1 = off (default)")
        ->type_name("N");
    kv->callback([kv_opts, &runtime] { run_check_kv(*kv_opts, runtime); });

    auto js_opts = std::make_shared<JetStreamCheckOptions>();
    auto* js = check->add_subcommand(
        "jetstream",
        "Check JetStream memory and storage use against the account limits, e.g.\n"
        "  natty server check jetstream --store-warn 80 --store-critical 95");
    js->alias("js");
    js->footer(k_check_footer);
    add_output_flags(js, js_opts->output);
    js->add_option("--mem-warn",
                   js_opts->mem_warn,
                   "Warn at this percentage of the memory limit (default 75, -1 = off)")
        ->type_name("PCT");
    js->add_option("--mem-critical",
                   js_opts->mem_critical,
                   "Critical at this percentage of the memory limit (default 90, -1 = off)")
        ->type_name("PCT");
    js->add_option("--store-warn",
                   js_opts->store_warn,
                   "Warn at this percentage of the storage limit (default 75, -1 = off)")
        ->type_name("PCT");
    js->add_option("--store-critical",
                   js_opts->store_critical,
                   "Critical at this percentage of the storage limit (default 90, -1 = off)")
        ->type_name("PCT");
    js->add_option("--mem-limit",
                   js_opts->mem_limit,
                   "Memory cap to measure against when the account has no limit: the server's\n"
                   "max_memory_store, e.g. 100MB (K/M/G powers of 1024)")
        ->type_name("SIZE");
    js->add_option("--store-limit",
                   js_opts->store_limit,
                   "Storage cap to measure against when the account has no limit: the server's\n"
                   "max_file_store, e.g. 100MB (K/M/G powers of 1024)")
        ->type_name("SIZE");
    js->callback([js_opts, &runtime] { run_check_jetstream(*js_opts, runtime); });

    auto req_opts = std::make_shared<RequestCheckOptions>();
    auto* req = check->add_subcommand(
        "request",
        "Send a request to a real service and check the reply, e.g.\n"
        "  natty server check request --subject svc.ping --match-payload '^pong'");
    req->alias("req");
    req->footer(k_check_footer);
    add_output_flags(req, req_opts->output);
    req->add_option("--subject", req_opts->subject, "Subject to send the request to (required)")
        ->type_name("SUBJECT");
    req->add_option("--payload", req_opts->payload, "Request body (default empty)")
        ->type_name("TEXT");
    req->add_option("--match-payload",
                    req_opts->match_payload,
                    "Regular expression (ECMAScript) the reply body must contain")
        ->type_name("REGEX");
    req->add_option("--response-warn",
                    req_opts->response_warn,
                    "Warn when the reply takes this long, e.g. 200ms (default off)")
        ->type_name("DURATION");
    req->add_option("--response-critical",
                    req_opts->response_critical,
                    "Critical when the reply takes this long (default off; --timeout bounds it)")
        ->type_name("DURATION");
    req->callback([req_opts, &runtime] { run_check_request(*req_opts, runtime); });

    auto tls_opts = std::make_shared<ServerTlsOptions>();
    auto* tls = server->add_subcommand(
        "tls",
        "Show the server's TLS certificate chain and whether it verifies, e.g.\n"
        "  natty --tlsca ca.pem -s tls://nats.example:4222 server tls --expire-warn 30d");
    tls->add_flag("--pem", tls_opts->pem, "Print the certificate chain as PEM");
    tls->add_flag("-j,--json", tls_opts->json, "JSON output");
    tls->add_option("--expire-warn",
                    tls_opts->expire_warn,
                    "Exit 1 when the server certificate expires within this time, e.g. 30d")
        ->type_name("DURATION");
    tls->footer("Exit codes: 0 verified and not expiring, 1 expires within --expire-warn, "
                "2 usage,\n4 cannot connect, 6 no TLS or verification failed.");
    tls->callback([tls_opts, &runtime] { run_server_tls(*tls_opts, runtime); });
}

} // namespace natty
