#include <natty/nats/connection.hpp>
#include <natty/context/connect.hpp>
#include <natty/nats/nkey.hpp>
#include <natty/net/probe.hpp>
#include <natty/util/redact.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <unistd.h>
#include <utility>

namespace natty::nats {

// Written by nats.c callback threads, read by the command thread.
struct Connection::State {
    EventSink notify;
    bool trace = false;
    bool reconnect = false; // whether nats.c will try to reconnect after a disconnect
    std::mutex mutex;
    std::optional<AsyncError> async_error;
    std::atomic<std::uint64_t> slow_consumer_events{0};
    std::atomic<bool> closing{false};
    // The server in use, remembered on connect and reconnect: by the time the disconnected
    // callback runs, nats.c already reports the server it will try next.
    std::string current_url; // guarded by mutex
    std::condition_variable closed_cv;
    bool closed = false; // guarded by mutex

    void emit(const std::string& line) {
        if (notify) {
            notify(line);
        }
    }
};

namespace {

std::string connected_url_of(natsConnection* nc) {
    char buf[512] = {};
    if (natsConnection_GetConnectedUrl(nc, buf, sizeof buf) != NATS_OK || buf[0] == '\0') {
        return {};
    }
    return redact_url(buf);
}

void on_error(natsConnection* /*nc*/, natsSubscription* sub, natsStatus err, void* closure) {
    auto* state = static_cast<Connection::State*>(closure);
    std::string text = last_error_detail(err);
    if (text.empty()) {
        text = natsStatus_GetText(err);
    }
    if (err == NATS_SLOW_CONSUMER) {
        state->slow_consumer_events.fetch_add(1);
        int64_t dropped = 0;
        if (sub != nullptr) {
            natsSubscription_GetDropped(sub, &dropped);
        }
        state->emit("natty: warning: slow consumer: messages dropped (" +
                    std::to_string(dropped) + " so far on this subscription)");
        return;
    }
    {
        std::lock_guard lock(state->mutex);
        if (!state->async_error) {
            state->async_error = AsyncError{err, text};
        }
    }
    if (state->trace) {
        state->emit(">>> async error: " + text);
    }
}

void on_disconnected(natsConnection* /*nc*/, void* closure) {
    auto* state = static_cast<Connection::State*>(closure);
    if (!state->closing.load()) {
        std::string url;
        {
            std::lock_guard lock(state->mutex);
            url = state->current_url;
        }
        state->emit("natty: disconnected" + (url.empty() ? std::string() : " from " + url)
                    + (state->reconnect ? ", reconnecting..." : ""));
    }
}

// The last callback nats.c delivers for a connection: after it, State may be freed.
void on_closed(natsConnection* /*nc*/, void* closure) {
    auto* state = static_cast<Connection::State*>(closure);
    std::lock_guard lock(state->mutex);
    state->closed = true;
    state->closed_cv.notify_all();
}

void on_reconnected(natsConnection* nc, void* closure) {
    auto* state = static_cast<Connection::State*>(closure);
    std::string url = connected_url_of(nc);
    {
        std::lock_guard lock(state->mutex);
        state->current_url = url;
    }
    state->emit("natty: reconnected to " + url);
}

// Lists the distinct non-IP host of every URL, or "" when they differ or are IPs.
std::string common_hostname(const std::vector<ServerUrl>& urls) {
    std::string host;
    for (const auto& url : urls) {
        if (url.host_is_ip() || (!host.empty() && host != url.host)) {
            return {};
        }
        host = url.host;
    }
    return host;
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

// Turns a failed natsConnection_Connect into an Error that says which server, which phase and
// why, using a raw probe of the first server to find out what nats.c does not say. The probe
// only gets what is left of --timeout since `started`, so a failed connect never takes longer
// than the timeout the user gave.
[[noreturn]] void diagnose_connect_failure(natsStatus status, std::string detail,
                                           const Settings& settings,
                                           std::chrono::steady_clock::time_point started) {
    const auto urls = settings.servers();
    const ServerUrl& first = urls.front();
    std::string target = urls.size() == 1 ? first.redacted() : redact_url(settings.values.url);
    const std::string timeout = format_go_duration(settings.timeout);
    const std::string phase = settings.tls_required() ? "TLS or NATS handshake" : "NATS handshake";

    if (status == NATS_CONNECTION_AUTH_FAILED) {
        const std::string who = credentials_sent(settings, first);
        throw NatsError(status, "authorization violation: " + target + " rejected " + who,
                        "check --user/--password (or the context's) for this server");
    }
    if (status == NATS_SECURE_CONNECTION_WANTED) {
        throw NatsError(status,
                        "TLS is required by this configuration (" +
                            std::string(!settings.values.ca.empty() ? "--tlsca"
                                        : !settings.values.cert.empty() ? "--tlscert"
                                                                         : "tls:// URL") +
                            ") but " + target + " does not offer TLS; nothing was sent",
                        "use the server's TLS port, or drop the TLS settings for a plain server");
    }
    // nats-server closes a client that has not authenticated within its authorization timeout
    // (2 s, or the TLS timeout + 1 s with TLS); nats.c passes that on as a plain error.
    if (detail.find("Authentication Timeout") != std::string::npos) {
        throw NatsError(NATS_NO_SERVER,
                        "cannot connect to " + target +
                            ": the server stopped waiting for natty to authenticate "
                            "(Authentication Timeout)",
                        "natty answers as soon as the server greets it, so the client machine "
                        "was stalled or a credentials file was slow to read; try again, or raise "
                        "the server's authorization { timeout }");
    }
    // nats.c reports a TCP connect that timed out as NATS_NO_SERVER: NATS_TIMEOUT means the
    // server accepted the connection and then did not finish the handshake in time.
    if (status == NATS_TIMEOUT) {
        throw NatsError(NATS_NO_SERVER,
                        "cannot connect to " + target + ": timed out after " + timeout +
                            " in the " + phase + " phase",
                        "the server accepted TCP but did not answer; raise --timeout if the "
                        "link is slow");
    }

    net::ProbeOptions probe_options;
    // At least a moment, so that a refused or unresolvable server is still told apart.
    probe_options.timeout =
        std::max<Duration>(settings.timeout - (std::chrono::steady_clock::now() - started),
                           std::chrono::milliseconds(50));
    probe_options.ca_file = settings.values.ca;
    probe_options.cert_file = settings.values.cert;
    probe_options.key_file = settings.values.key;
    probe_options.force_tls = settings.tls_required();
    const net::ProbeResult probe = net::probe(first, probe_options);

    // A server with `verify: true` closes the connection right after a TLS 1.3 handshake
    // without a client certificate; nats.c then says "Expected 'PONG', got ''".
    const auto info = nlohmann::json::parse(probe.server_info, nullptr, false);
    if (probe.tls_attempted && probe.verified && settings.values.cert.empty() &&
        info.is_object() && info.value("tls_verify", false)) {
        throw NatsError(NATS_SSL_ERROR,
                        "TLS failure with " + target +
                            ": the server requires a client certificate (tls_verify) and none "
                            "was given",
                        "pass one with --tlscert FILE --tlskey FILE (or save them in the "
                        "context)");
    }
    if (status == NATS_SSL_ERROR || (probe.tls_attempted && !probe.verified)) {
        const std::string ca = settings.values.ca.empty()
                                   ? std::string("no CA configured, system trust store used")
                                   : "CA " + settings.values.ca;
        if (probe.tls_attempted && !probe.verified && !probe.verify_error.empty()) {
            throw NatsError(NATS_SSL_ERROR,
                            "TLS certificate verification failed for " + target + ": " +
                                probe.verify_error + certificate_summary(probe) + "; " + ca,
                            settings.values.ca.empty()
                                    ? "pass the CA that signed the server certificate with "
                                      "--tlsca FILE (or save it in the context)"
                                    : "check that --tlsca is the CA that signed the server "
                                      "certificate and that the URL's host is in its SANs");
        }
        throw NatsError(NATS_SSL_ERROR,
                        "TLS failure with " + target + ": " +
                            (probe.failed_at == net::ProbeStage::tls ? probe.error : detail),
                        "a server that requires client certificates needs --tlscert/--tlskey");
    }
    if (probe.failed_at == net::ProbeStage::dns || probe.failed_at == net::ProbeStage::tcp) {
        // The probe's own budget is only what was left: report the user's timeout instead.
        const std::string why = probe.error.rfind("timed out", 0) == 0
                                    ? "timed out after " + timeout + " in the TCP connect phase"
                                    : probe.error;
        throw NatsError(NATS_NO_SERVER,
                        "cannot connect to " + target + ": " + why +
                            (urls.size() > 1 ? " (first of " + std::to_string(urls.size()) +
                                                   " servers)"
                                             : ""),
                        "is the server running and the URL right? (--server, NATS_URL or "
                            "the context's url)");
    }
    if (probe.failed_at == net::ProbeStage::info) {
        throw NatsError(NATS_NO_SERVER, "cannot connect to " + target + ": " + probe.error,
                        "the server accepted TCP but did not answer; raise --timeout if the "
                            "link is slow");
    }
    throw NatsError(status, describe(status, "cannot connect to " + target, detail));
}

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
        throw ConfigError("cannot read " + std::string(field.label) + " file " + path + " (" +
                              origin + "): " + why,
                          settings.context.name && origin.rfind("context", 0) == 0
                              ? "fix the path with `natty context edit " + *settings.context.name +
                                    "`"
                              : "check the path and its permissions");
    }
}

// nats.c 3.4 creates its SSL_CTX with SSL_CTX_set_default_verify_paths(), which parses the
// whole system CA bundle (about 140 certificates, ~30 ms of CPU: most of a TLS command's run)
// before the CA file natty was given is added. While nats.c creates the context, OpenSSL's
// default CA file (SSL_CERT_FILE) points at that CA instead: it is loaded either way, the
// system's hashed certificate directory stays the fallback it was, and the bundle is not
// parsed. The previous value is restored at once. Options are built on the command thread
// before its connection exists; nats.c's own threads do not read the environment.
class DefaultCaFileOverride {
public:
    explicit DefaultCaFileOverride(const std::string& ca_file) {
        if (const char* previous = std::getenv(k_variable); previous != nullptr) {
            m_previous = previous;
        }
        ::setenv(k_variable, ca_file.c_str(), 1);
    }
    DefaultCaFileOverride(const DefaultCaFileOverride&) = delete;
    DefaultCaFileOverride& operator=(const DefaultCaFileOverride&) = delete;
    ~DefaultCaFileOverride() {
        if (m_previous) {
            ::setenv(k_variable, m_previous->c_str(), 1);
        } else {
            ::unsetenv(k_variable);
        }
    }

private:
    static constexpr const char* k_variable = "SSL_CERT_FILE";
    std::optional<std::string> m_previous;
};

} // namespace

OptionsHandle build_options(const Settings& settings, const ConnectOptions& options,
                            Connection::State* state) {
    require_readable_files(settings);
    auto opts = make<OptionsHandle>("create connection options", natsOptions_Create);
    natsOptions* o = opts.get();
    const auto urls = settings.servers();
    std::vector<std::string> url_strings;
    for (const auto& url : urls) {
        url_strings.push_back(url.str());
    }
    std::vector<const char*> url_ptrs;
    for (const auto& s : url_strings) {
        url_ptrs.push_back(s.c_str());
    }
    check(natsOptions_SetServers(o, url_ptrs.data(), static_cast<int>(url_ptrs.size())),
          "invalid server list");
    check(natsOptions_SetName(o, settings.connection_name.c_str()), "set connection name");
    check(natsOptions_SetTimeout(o, to_millis(settings.timeout)), "set timeout");
    const auto& v = settings.values;
    if (!v.user.empty()) {
        check(natsOptions_SetUserInfo(o, v.user.c_str(), v.password.c_str()), "set user");
    }
    if (!v.token.empty()) {
        check(natsOptions_SetToken(o, v.token.c_str()), "set token");
    }
    if (!v.creds.empty()) {
        check(natsOptions_SetUserCredentialsFromFiles(o, v.creds.c_str(), nullptr),
              "cannot use credentials file " + v.creds);
    }
    if (!v.nkey.empty()) {
        // nats.c wants the public key as well as the seed file; derive it from the seed.
        const std::string public_key = nkey_public_from_seed(nkey_read_seed_file(v.nkey));
        check(natsOptions_SetNKeyFromSeed(o, public_key.c_str(), v.nkey.c_str()),
              "cannot use NKey seed file " + v.nkey);
    }
    std::optional<DefaultCaFileOverride> ca_only; // until nats.c has made its TLS context
    if (!v.ca.empty()) {
        ca_only.emplace(v.ca);
        check(natsOptions_LoadCATrustedCertificates(o, v.ca.c_str()),
              "cannot load CA file " + v.ca);
    }
    if (v.cert.empty() != v.key.empty()) {
        throw UsageError("--tlscert and --tlskey must be given together");
    }
    if (!v.cert.empty()) {
        check(natsOptions_LoadCertificatesChain(o, v.cert.c_str(), v.key.c_str()),
              "cannot load client certificate " + v.cert + " / key " + v.key);
    }
    if (settings.tls_required()) {
        // nats.c 3.4 neither enables TLS for a CA nor for tls:// URLs: without this it would
        // connect in plaintext and send the password in clear.
        check(natsOptions_SetSecure(o, true), "enable TLS");
    }
    ca_only.reset();
    if (const std::string host = common_hostname(urls); !host.empty()) {
        check(natsOptions_SetExpectedHostname(o, host.c_str()), "set TLS host name");
    }
    if (!v.inbox_prefix.empty()) {
        check(natsOptions_SetCustomInboxPrefix(o, v.inbox_prefix.c_str()), "set inbox prefix");
    }
    // With a thread per subscription, a reply could be handed over before the request it
    // answers when each arrives on its own subscription; the library's single delivery thread
    // keeps the server's order (see Library).
    check(natsOptions_UseGlobalMessageDelivery(o, true), "use ordered message delivery");
    if (options.reconnect) {
        check(natsOptions_SetMaxReconnect(o, -1), "set reconnect");
        check(natsOptions_SetReconnectWait(o, 500), "set reconnect wait");
    } else {
        check(natsOptions_SetAllowReconnect(o, false), "disable reconnect");
    }
    if (state != nullptr) {
        check(natsOptions_SetErrorHandler(o, on_error, state), "set error handler");
        check(natsOptions_SetDisconnectedCB(o, on_disconnected, state), "set disconnect handler");
        check(natsOptions_SetReconnectedCB(o, on_reconnected, state), "set reconnect handler");
        check(natsOptions_SetClosedCB(o, on_closed, state), "set close handler");
    }
    return opts;
}

Connection::Connection(ConnectionHandle conn, std::unique_ptr<State> state,
                       const Settings& settings)
    : m_state(std::move(state)), m_conn(std::move(conn)), m_settings(settings),
      m_spec(connect_spec(settings, m_state->reconnect)) {}

Connection::Connection(Connection&&) noexcept = default;

Connection::~Connection() {
    if (!m_conn) {
        return;
    }
    // nats.c delivers callbacks on its own thread after Close returns: wait for the closed
    // callback (always the last one) before State is freed.
    // A connection the server already closed may still have its disconnect notice queued:
    // that one is news and still shows; only the close natty starts here is kept quiet.
    if (natsConnection_Status(m_conn.get()) != NATS_CONN_STATUS_CLOSED) {
        m_state->closing.store(true);
    }
    natsConnection_Close(m_conn.get());
    std::unique_lock lock(m_state->mutex);
    m_state->closed_cv.wait_for(lock, std::chrono::seconds(5), [&] { return m_state->closed; });
}

Connection Connection::connect(const Settings& settings, ConnectOptions options) {
    auto state = std::make_unique<State>();
    state->notify = options.notify;
    state->trace = settings.trace;
    state->reconnect = options.reconnect;
    auto opts = build_options(settings, options, state.get());
    if (settings.trace) {
        state->emit(">>> connecting to " + redact_url(settings.values.url) + " (url from " +
                    settings.origin("url") + (settings.tls_required() ? ", TLS required" : "") +
                    ", timeout " + format_go_duration(settings.timeout) + ")");
    }
    natsConnection* raw = nullptr;
    const auto started = std::chrono::steady_clock::now();
    const natsStatus status = natsConnection_Connect(&raw, opts.get());
    if (status != NATS_OK) {
        std::string detail = last_error_detail(status);
        diagnose_connect_failure(status, std::move(detail), settings, started);
    }
    ConnectionHandle conn(raw);
    {
        std::lock_guard lock(state->mutex);
        state->current_url = connected_url_of(raw);
    }
    if (settings.trace) {
        state->emit(">>> connected to " + connected_url_of(raw));
    }
    return Connection(std::move(conn), std::move(state), settings);
}

Duration Connection::flush(Duration timeout) {
    const auto start = std::chrono::steady_clock::now();
    check(natsConnection_FlushTimeout(m_conn.get(), to_millis(timeout)), "flush to server");
    return std::chrono::steady_clock::now() - start;
}

void Connection::flush_and_check(Duration timeout, std::string_view what) {
    flush(timeout);
    if (auto err = take_async_error()) {
        throw NatsError(err->status, describe(err->status, what, err->text));
    }
}

std::string Connection::connected_url() const { return connected_url_of(m_conn.get()); }

std::string Connection::server_id() const {
    char buf[256] = {};
    natsConnection_GetConnectedServerId(m_conn.get(), buf, sizeof buf);
    return buf;
}

std::int64_t Connection::max_payload() const {
    return natsConnection_GetMaxPayload(m_conn.get());
}

std::optional<AsyncError> Connection::take_async_error() {
    std::lock_guard lock(m_state->mutex);
    return std::exchange(m_state->async_error, std::nullopt);
}

std::uint64_t Connection::slow_consumer_events() const {
    return m_state->slow_consumer_events.load();
}

} // namespace natty::nats
