// `server check connection`: connect, PING, round-trip a message to ourselves, and probe the
// server raw to say where the time went (dns, tcp, tls, handshake) and when its certificate
// expires.

#include "messaging.hpp"
#include "server_check.hpp"

#include <natty/context/connect.hpp>
#include <natty/nats/subscription.hpp>
#include <natty/net/probe.hpp>
#include <natty/util/template.hpp>
#include <natty/util/url.hpp>

#include <cstdio>
#include <random>

namespace natty {
namespace {

using output::CheckResult;
using output::CheckStatus;
using output::Direction;
using server_check::Clock;
using server_check::seconds_of;

// The thresholds of the connection check, in seconds; nullopt = off.
struct ConnectionThresholds {
    std::optional<double> connect_warn, connect_crit;
    std::optional<double> rtt_warn, rtt_crit;
    std::optional<double> req_warn, req_crit;
    std::optional<double> expiry_warn, expiry_crit;
};

ConnectionThresholds parse_thresholds(const ConnectionCheckOptions& options, CheckResult& result) {
    using server_check::duration_threshold;
    ConnectionThresholds t;
    t.connect_warn = duration_threshold(options.connect_warn, "--connect-warn", result);
    t.connect_crit = duration_threshold(options.connect_critical, "--connect-critical", result);
    t.rtt_warn = duration_threshold(options.rtt_warn, "--rtt-warn", result);
    t.rtt_crit = duration_threshold(options.rtt_critical, "--rtt-critical", result);
    t.req_warn = duration_threshold(options.req_warn, "--req-warn", result);
    t.req_crit = duration_threshold(options.req_critical, "--req-critical", result);
    t.expiry_warn = duration_threshold(options.tls_expiry_warn, "--tls-expiry-warn", result);
    t.expiry_crit =
        duration_threshold(options.tls_expiry_critical, "--tls-expiry-critical", result);
    return t;
}

// Go-style duration text of a measured time, at nanosecond precision ("37.14225ms").
std::string took(Duration d) {
    return format_go_duration(d);
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

// Why no message came back on `subject`: a permission error, a closed connection or the
// timeout.
std::string missing_reply_reason(const std::optional<nats::AsyncError>& denied,
                                 const nats::Subscription& sub,
                                 Duration timeout) {
    if (denied) {
        return denied->text + " (a user limited to other inboxes needs --inbox-prefix)";
    }
    return sub.finished() ? std::string("the connection closed")
                          : "timeout after " + format_go_duration(timeout);
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
        nats::publish(conn, subject, {}, payload, {});
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
                        + missing_reply_reason(denied, *sub, settings.timeout));
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

void check_tls_expiry(CheckResult& result,
                      const net::ProbeResult& probe,
                      std::optional<double> warn,
                      std::optional<double> crit) {
    using server_check::days_text;
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

// The three timings of a live connection, each classified against its thresholds, then their
// perfdata: connect (already measured), PING/PONG and the self round trip. The Go CLI's
// wording: a fired threshold as a float of seconds, the round trip as %f.
void check_timings(CheckResult& result,
                   nats::Connection& conn,
                   const std::string& url,
                   const Settings& settings,
                   Duration connect_time,
                   const ConnectionThresholds& t) {
    using server_check::classify_time;
    classify_time(result,
                  connect_time,
                  t.connect_warn,
                  t.connect_crit,
                  "connected to " + url + " in " + took(connect_time),
                  [&](double threshold) {
                      return "connected to " + url + ", connect time exceeded "
                             + output::format_go_float(threshold);
                  });

    std::optional<Duration> rtt;
    try {
        rtt = conn.flush(settings.timeout);
        classify_time(result, *rtt, t.rtt_warn, t.rtt_crit, "rtt time " + took(*rtt), [](double x) {
            return "rtt time exceeded " + output::format_go_float(x);
        });
    } catch (const Error& e) {
        result.critical(std::string("rtt failed: ") + e.what());
    }

    const auto round_trip = self_round_trip(conn, settings, result);
    if (round_trip) {
        char seconds[64];
        std::snprintf(seconds, sizeof seconds, "%f", seconds_of(*round_trip));
        classify_time(result,
                      *round_trip,
                      t.req_warn,
                      t.req_crit,
                      "round trip took " + std::string(seconds) + "s",
                      [&](double) { return "round trip request took " + std::string(seconds); });
    }

    result.perf({"connect_time",
                 seconds_of(connect_time),
                 "s",
                 t.connect_warn,
                 t.connect_crit,
                 "Time taken to connect to NATS"});
    if (rtt) {
        result.perf({"rtt",
                     seconds_of(*rtt),
                     "s",
                     t.rtt_warn,
                     t.rtt_crit,
                     "The round-trip-time of the connection"});
    }
    if (round_trip) {
        result.perf({"request_time",
                     seconds_of(*round_trip),
                     "s",
                     t.req_warn,
                     t.req_crit,
                     "Time taken for a full Request-Reply operation"});
    }
}

void check_connection(const ConnectionCheckOptions& options,
                      Runtime& runtime,
                      CheckResult& result) {
    const ConnectionThresholds t = parse_thresholds(options, result);
    const Settings* settings = server_check::settings_or_unknown(runtime, result);
    if (settings == nullptr) {
        return;
    }
    const net::ProbeOptions probing = probe_options(*settings);
    const auto servers = settings->servers();

    // Where the time goes, phase by phase. With one server, a probe that ran out of time is the
    // answer already: nats.c would only wait as long again (and its diagnosis once more).
    std::optional<net::ProbeResult> probe;
    if (servers.size() == 1) {
        probe = net::probe(servers.front(), probing);
        if (probe->timed_out) {
            connection_failed(result,
                              "cannot connect to " + servers.front().redacted() + ": "
                                  + probe->error,
                              *probe);
            return;
        }
    }
    const auto start = Clock::now();
    std::optional<nats::Connection> conn;
    try {
        conn.emplace(runtime.connect());
    } catch (const Error& e) {
        if (!probe) {
            probe = net::probe(servers.front(), probing);
        }
        connection_failed(result, e.what(), *probe);
        return;
    }
    const Duration connect_time = Clock::now() - start;
    const std::string url = conn->connected_url();
    check_timings(result, *conn, url, *settings, connect_time, t);

    if (!probe) {
        // Of several servers, the one nats.c picked.
        probe = net::probe(parse_server_list(url).front(), probing);
    }
    if (probe->failed_at == net::ProbeStage::done) {
        add_phase_perfdata(result, *probe);
    }
    if (t.expiry_warn || t.expiry_crit) {
        check_tls_expiry(result, *probe, t.expiry_warn, t.expiry_crit);
    }
}

} // namespace

void run_check_connection(const ConnectionCheckOptions& options, Runtime& runtime) {
    server_check::run_check(
        {"Connection", "connections"}, options.output, runtime, [&](CheckResult& result) {
            check_connection(options, runtime, result);
        });
}

} // namespace natty
