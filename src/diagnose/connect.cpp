#include <natty/diagnose/connect.hpp>

#include <natty/context/connect.hpp>
#include <natty/net/probe.hpp>
#include <natty/net/protocol.hpp>
#include <natty/util/redact.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace natty::diagnose {
namespace {

// What a failed connect is reported against: the one server, or the whole list as given.
struct Target {
    std::vector<ServerUrl> urls;
    std::string text;    // redacted
    std::string timeout; // Go style, e.g. "5s"
    std::string phase;   // of the handshake that can time out
};

Target target_of(const Settings& settings) {
    Target target;
    target.urls = settings.servers();
    target.text = target.urls.size() == 1 ? target.urls.front().redacted()
                                          : redact_url(settings.values.url);
    target.timeout = format_go_duration(settings.timeout);
    target.phase = settings.tls_required() ? "TLS or NATS handshake" : "NATS handshake";
    return target;
}

std::string certificate_summary(const net::ProbeResult& probe) {
    if (probe.chain.empty()) {
        return {};
    }
    const auto& cert = probe.chain.front();
    return " (server certificate subject \"" + cert.subject + "\", issuer \"" + cert.issuer +
           "\")";
}

// What the server was given to authenticate with, for an authorization error. Credentials in
// the URL win over the settings' user, password and token, as in nats.c.
std::string credentials_sent(const Settings& settings, const ServerUrl& url) {
    const auto& v = settings.values;
    if (url.has_userinfo) {
        return url.user.empty() ? "the token in the URL" : "user \"" + url.user + "\" (from the URL)";
    }
    if (!v.user.empty()) {
        return "user \"" + v.user + "\" (" + settings.origin("user") + ")";
    }
    if (!v.token.empty()) {
        return "token (" + settings.origin("token") + ")";
    }
    if (!v.creds.empty()) {
        return "credentials file " + v.creds + " (" + settings.origin("creds") + ")";
    }
    if (!v.nkey.empty()) {
        return "nkey seed file " + v.nkey + " (" + settings.origin("nkey") + ")";
    }
    return "no credentials";
}

// The failures nats.c's status alone explains: no probe needed.
void explain_from_status(const nats::ConnectError& failure, const Settings& settings,
                         const Target& target) {
    if (failure.auth_failed()) {
        const std::string who = credentials_sent(settings, target.urls.front());
        throw Error(ExitCode::denied, "authorization violation: " + target.text + " rejected " + who,
                    "check --user/--password (or the context's) for this server");
    }
    if (failure.tls_wanted()) {
        const auto& v = settings.values;
        throw Error(ExitCode::tls,
                    "TLS is required by this configuration ("
                        + std::string(!v.ca.empty() ? "--tlsca" : !v.cert.empty() ? "--tlscert"
                                                                                    : "tls:// URL")
                        + ") but " + target.text + " does not offer TLS; nothing was sent",
                    "use the server's TLS port, or drop the TLS settings for a plain server");
    }
    // nats-server closes a client that has not authenticated within its authorization timeout
    // (2 s, or the TLS timeout + 1 s with TLS); nats.c passes that on as a plain error.
    if (failure.reason().find("Authentication Timeout") != std::string::npos) {
        throw Error(ExitCode::connect,
                    "cannot connect to " + target.text
                        + ": the server stopped waiting for natty to authenticate "
                          "(Authentication Timeout)",
                    "natty answers as soon as the server greets it, so the client machine "
                    "was stalled or a credentials file was slow to read; try again, or raise "
                    "the server's authorization { timeout }");
    }
    // nats.c reports a TCP connect that timed out as "no server": a timeout means the server
    // accepted the connection and then did not finish the handshake in time.
    if (failure.timed_out()) {
        throw Error(ExitCode::connect,
                    "cannot connect to " + target.text + ": timed out after " + target.timeout
                        + " in the " + target.phase + " phase",
                    "the server accepted TCP but did not answer; raise --timeout if the "
                    "link is slow");
    }
}

void explain_tls(const nats::ConnectError& failure, const Settings& settings,
                 const Target& target, const net::ProbeResult& probe) {
    const auto& v = settings.values;
    // A server with `verify: true` closes the connection right after a TLS 1.3 handshake
    // without a client certificate; nats.c then says "Expected 'PONG', got ''".
    if (probe.tls_attempted && probe.verified && v.cert.empty()
        && net::info_flag(probe.server_info, "tls_verify")) {
        throw Error(ExitCode::tls,
                    "TLS failure with " + target.text
                        + ": the server requires a client certificate (tls_verify) and none "
                          "was given",
                    "pass one with --tlscert FILE --tlskey FILE (or save them in the context)");
    }
    if (!failure.tls_failed() && !(probe.tls_attempted && !probe.verified)) {
        return;
    }
    const std::string ca = v.ca.empty() ? std::string("no CA configured, system trust store used")
                                        : "CA " + v.ca;
    if (probe.tls_attempted && !probe.verified && !probe.verify_error.empty()) {
        throw Error(ExitCode::tls,
                    "TLS certificate verification failed for " + target.text + ": "
                        + probe.verify_error + certificate_summary(probe) + "; " + ca,
                    v.ca.empty() ? "pass the CA that signed the server certificate with "
                                   "--tlsca FILE (or save it in the context)"
                                 : "check that --tlsca is the CA that signed the server "
                                   "certificate and that the URL's host is in its SANs");
    }
    throw Error(ExitCode::tls,
                "TLS failure with " + target.text + ": "
                    + (probe.failed_at == net::ProbeStage::tls ? probe.error : failure.reason()),
                "a server that requires client certificates needs --tlscert/--tlskey");
}

// The failures only a raw probe of the first server explains: refused, unresolvable, TLS.
void explain_from_probe(const nats::ConnectError& failure, const Settings& settings,
                        const Target& target, const net::ProbeResult& probe) {
    explain_tls(failure, settings, target, probe);
    if (probe.failed_at == net::ProbeStage::dns || probe.failed_at == net::ProbeStage::tcp) {
        // The probe's own budget is only what was left: report the user's timeout instead.
        const std::string why = probe.error.rfind("timed out", 0) == 0
                                    ? "timed out after " + target.timeout
                                          + " in the TCP connect phase"
                                    : probe.error;
        const std::size_t count = target.urls.size();
        throw Error(ExitCode::connect,
                    "cannot connect to " + target.text + ": " + why
                        + (count > 1 ? " (first of " + std::to_string(count) + " servers)" : ""),
                    "is the server running and the URL right? (--server, NATS_URL or "
                    "the context's url)");
    }
    if (probe.failed_at == net::ProbeStage::info) {
        throw Error(ExitCode::connect, "cannot connect to " + target.text + ": " + probe.error,
                    probe.timed_out ? "the server accepted TCP but did not answer; raise "
                                      "--timeout if the link is slow"
                                    : "is this the client port of a NATS server?");
    }
}

} // namespace

// nats.c would report a missing credentials file as a failed connect and a missing CA with
// "(null)": check every file up front and say which setting named it.
void require_readable_files(const Settings& settings) {
    for (const auto& field : context_fields()) {
        const std::string& path = settings.values.*field.member;
        if (!field.path || path.empty() || ::access(path.c_str(), R_OK) == 0) {
            continue;
        }
        const std::string why = std::strerror(errno);
        const std::string origin = settings.origin(field.key);
        throw ConfigError("cannot read " + std::string(field.label) + " file " + path + " ("
                              + origin + "): " + why,
                          settings.context.name && origin.rfind("context", 0) == 0
                              ? "fix the path with `natty context edit " + *settings.context.name
                                    + "`"
                              : "check the path and its permissions");
    }
}

void explain_connect_failure(const nats::ConnectError& failure, const Settings& settings) {
    const Target target = target_of(settings);
    explain_from_status(failure, settings, target);
    net::ProbeOptions options = probe_options(settings);
    // Only what is left of --timeout, so a failed connect never takes longer than the timeout
    // the user gave; at least a moment, so a refused or unresolvable server is still told apart.
    options.timeout =
        std::max<Duration>(settings.timeout - failure.elapsed(), std::chrono::milliseconds(50));
    options.protocol_handshake = false;
    explain_from_probe(failure, settings, target, net::probe(target.urls.front(), options));
    throw Error(failure.code(), "cannot connect to " + target.text + ": " + failure.reason());
}

nats::Connection
connect(const Settings& settings, bool reconnect, nats::EventSink notify, bool send_asap) {
    require_readable_files(settings);
    if (settings.trace && notify) {
        notify(">>> connecting to " + redact_url(settings.values.url) + " (url from "
               + settings.origin("url") + (settings.tls_required() ? ", TLS required" : "")
               + ", timeout " + format_go_duration(settings.timeout) + ")");
    }
    try {
        nats::ConnectSpec spec = connect_spec(settings, reconnect);
        spec.send_asap = send_asap;
        return nats::Connection::connect(spec, std::move(notify));
    } catch (const nats::ConnectError& failure) {
        explain_connect_failure(failure, settings);
    }
}

} // namespace natty::diagnose
