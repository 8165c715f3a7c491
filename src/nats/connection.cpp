#include <natty/nats/connection.hpp>
#include <natty/nats/library.hpp>
#include <natty/nats/nkey.hpp>
#include <natty/util/json_escape.hpp>
#include <natty/util/redact.hpp>

#include <sys/socket.h>
#include <sys/stat.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <thread>
#include <string_view>
#include <utility>
#include <vector>

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
    // Each server URL as given to nats.c (userinfo JSON-escaped) with the URL it came from, so
    // the URL shown is the user's. Written before the connection exists, then only read.
    std::vector<std::pair<std::string, std::string>> given_urls;

    void emit(const std::string& line) {
        if (notify) {
            notify(line);
        }
    }
};

namespace {

std::string connected_url_of(natsConnection* nc, const Connection::State& state) {
    char buf[512] = {};
    if (natsConnection_GetConnectedUrl(nc, buf, sizeof buf) != NATS_OK || buf[0] == '\0') {
        return {};
    }
    for (const auto& [given, original] : state.given_urls) {
        if (given == buf) {
            return redact_url(original);
        }
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
    std::string url = connected_url_of(nc, *state);
    {
        std::lock_guard lock(state->mutex);
        state->current_url = url;
    }
    state->emit("natty: reconnected to " + url);
}

// The server announced it is shutting down gracefully (lame duck mode): clients are moved
// off it over the next seconds, so a reconnect is coming, not a failure.
void on_lame_duck(natsConnection* nc, void* closure) {
    auto* state = static_cast<Connection::State*>(closure);
    state->emit("natty: server " + connected_url_of(nc, *state)
                + " entering lame duck mode; natty will move to another server");
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

// nats.c's detail can quote what the server sent ("incorrect JSON string: '<the INFO>'"): one
// printable line of bounded length, whatever the server was.
std::string printable_line(std::string_view text) {
    constexpr std::size_t k_max = 160;
    std::string line;
    for (const char c : text.substr(0, k_max)) {
        const auto byte = static_cast<unsigned char>(c);
        line += byte < 0x20 || byte == 0x7f ? '?' : c;
    }
    return text.size() > k_max ? line + "..." : line;
}

// This process's open TCP sockets that are connected to a peer: descriptor and inode.
std::vector<std::pair<int, ino_t>> connected_tcp_sockets() {
    std::vector<std::pair<int, ino_t>> sockets;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
        int fd = -1;
        try {
            fd = std::stoi(entry.path().filename().string());
        } catch (const std::exception&) {
            continue;
        }
        struct stat st {};
        sockaddr_storage peer{};
        socklen_t len = sizeof peer;
        int type = 0;
        socklen_t type_len = sizeof type;
        if (::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)
            || ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) != 0 || type != SOCK_STREAM
            || ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0
            || (peer.ss_family != AF_INET && peer.ss_family != AF_INET6)) {
            continue;
        }
        sockets.emplace_back(fd, st.st_ino);
    }
    return sockets;
}

// nats.c 3.4 runs the TLS handshake on a blocking socket with no timeout (conn.c
// _makeTLSConn): a server that announces TLS and then stalls holds natsConnection_Connect until
// the server hangs up. Once the connect outlives its budget, this shuts down the TCP sockets
// the process opened since the watchdog started (only nats.c's, in this single-connect CLI), so
// the handshake fails at once; the caller then reports a timeout.
class ConnectWatchdog {
public:
    explicit ConnectWatchdog(Duration budget) {
        for (const auto& socket : connected_tcp_sockets()) {
            m_before.insert(socket.second);
        }
        m_thread = std::thread([this, budget] { watch(budget); });
    }
    ConnectWatchdog(const ConnectWatchdog&) = delete;
    ConnectWatchdog& operator=(const ConnectWatchdog&) = delete;
    ~ConnectWatchdog() { stop(); }

    // Ends the watch; true if it ran out of time and cut the connect short.
    bool stop() {
        {
            std::lock_guard lock(m_mutex);
            m_done = true;
        }
        m_cv.notify_all();
        if (m_thread.joinable()) {
            m_thread.join();
        }
        return m_fired;
    }

private:
    void watch(Duration budget) {
        std::unique_lock lock(m_mutex);
        if (m_cv.wait_for(lock, budget, [this] { return m_done; })) {
            return;
        }
        m_fired = true;
        for (const auto& [fd, inode] : connected_tcp_sockets()) {
            if (m_before.count(inode) == 0) {
                ::shutdown(fd, SHUT_RDWR);
            }
        }
    }

    std::set<ino_t> m_before;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_done = false;  // guarded by m_mutex
    bool m_fired = false; // written by the watch thread, read after join
    std::thread m_thread;
};

// Why natsConnection_Connect failed, in one line.
std::string connect_failure_detail(natsStatus status) {
    if (status == NATS_LINE_TOO_LONG) {
        // nats.c reads the INFO line into a fixed buffer (32 KiB in 3.4) and gives up there.
        return "the server's INFO line is longer than 32 KiB: not a NATS server?";
    }
    return printable_line(last_error_detail(status));
}

} // namespace

namespace {

// A failed connect is a failure to connect (exit 4) unless the server refused the credentials
// (5) or TLS failed (6): whatever else stopped nats.c (a malformed or oversized INFO from
// something that is not a NATS server, a protocol error) never exits 1 or 2.
ExitCode connect_exit_code(natsStatus status) {
    const ExitCode code = exit_code_for(status);
    return code == ExitCode::denied || code == ExitCode::tls ? code : ExitCode::connect;
}

} // namespace

ConnectError::ConnectError(natsStatus status, std::string detail, Duration elapsed)
    : NatsError(status, connect_exit_code(status), describe(status, "cannot connect", detail)),
      m_reason(detail.empty() ? std::string(natsStatus_GetText(status)) : std::move(detail)),
      m_elapsed(elapsed) {}

bool ConnectError::auth_failed() const {
    return status() == NATS_CONNECTION_AUTH_FAILED;
}

bool ConnectError::tls_wanted() const {
    return status() == NATS_SECURE_CONNECTION_WANTED;
}

bool ConnectError::tls_failed() const {
    return status() == NATS_SSL_ERROR;
}

bool ConnectError::no_server() const {
    return status() == NATS_NO_SERVER;
}

namespace {

// nats.c 3.4 pastes user, password, token and connection name raw into its CONNECT JSON (a `"`
// in a password breaks the handshake, a `\` changes the password): every such string is given
// to it JSON-escaped (see append_json_escaped for invalid UTF-8).
void set_credentials(natsOptions* o, const ConnectSpec& spec) {
    if (!spec.user.empty()) {
        check(natsOptions_SetUserInfo(
                  o, json_escaped(spec.user).c_str(), json_escaped(spec.password).c_str()),
              "set user");
    }
    if (!spec.token.empty()) {
        check(natsOptions_SetToken(o, json_escaped(spec.token).c_str()), "set token");
    }
    if (!spec.creds_file.empty()) {
        check(natsOptions_SetUserCredentialsFromFiles(o, spec.creds_file.c_str(), nullptr),
              "cannot use credentials file " + spec.creds_file);
    }
    if (!spec.nkey_seed_file.empty()) {
        // nats.c wants the public key as well as the seed file; derive it from the seed.
        const std::string public_key =
            nkey_public_from_seed(nkey_read_seed_file(spec.nkey_seed_file));
        check(natsOptions_SetNKeyFromSeed(o, public_key.c_str(), spec.nkey_seed_file.c_str()),
              "cannot use NKey seed file " + spec.nkey_seed_file);
    }
}

void set_tls(natsOptions* o, const ConnectSpec& spec) {
    std::optional<DefaultCaFileOverride> ca_only; // until nats.c has made its TLS context
    if (!spec.ca_file.empty()) {
        ca_only.emplace(spec.ca_file);
        check(natsOptions_LoadCATrustedCertificates(o, spec.ca_file.c_str()),
              "cannot load CA file " + spec.ca_file);
    }
    if (spec.cert_file.empty() != spec.key_file.empty()) {
        throw UsageError("--tlscert and --tlskey must be given together");
    }
    if (!spec.cert_file.empty()) {
        check(natsOptions_LoadCertificatesChain(o, spec.cert_file.c_str(), spec.key_file.c_str()),
              "cannot load client certificate " + spec.cert_file + " / key " + spec.key_file);
    }
    if (spec.tls_required) {
        // nats.c 3.4 neither enables TLS for a CA nor for tls:// URLs: without this it would
        // connect in plaintext and send the password in clear.
        check(natsOptions_SetSecure(o, true), "enable TLS");
    }
    ca_only.reset();
    if (!spec.expected_hostname.empty()) {
        check(natsOptions_SetExpectedHostname(o, spec.expected_hostname.c_str()),
              "set TLS host name");
    }
}

void set_callbacks(natsOptions* o, Connection::State* state) {
    check(natsOptions_SetErrorHandler(o, on_error, state), "set error handler");
    check(natsOptions_SetDisconnectedCB(o, on_disconnected, state), "set disconnect handler");
    check(natsOptions_SetReconnectedCB(o, on_reconnected, state), "set reconnect handler");
    check(natsOptions_SetClosedCB(o, on_closed, state), "set close handler");
    check(natsOptions_SetLameDuckModeCB(o, on_lame_duck, state), "set lame duck handler");
}

// nats.c 3.4 pastes the user and password of a URL's userinfo (split, as it does, at the last
// '@' and then the first ':', with no percent-decoding) raw into its CONNECT JSON: hand it
// them JSON-escaped. Escaping adds neither '@' nor ':', so nats.c splits the result the same way.
std::string url_with_escaped_userinfo(const std::string& url) {
    const auto scheme_end = url.find("://");
    const std::size_t start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
    const auto at = url.rfind('@');
    if (at == std::string::npos || at < start) {
        return url;
    }
    const std::string_view userinfo = std::string_view(url).substr(start, at - start);
    const auto colon = userinfo.find(':');
    std::string out = url.substr(0, start);
    if (colon == std::string_view::npos) {
        append_json_escaped(out, userinfo);
    } else {
        append_json_escaped(out, userinfo.substr(0, colon));
        out += ':';
        append_json_escaped(out, userinfo.substr(colon + 1));
    }
    return out + url.substr(at);
}

} // namespace

namespace {

// nats.c's options for the spec, reporting events to `state`. TLS is forced on when required.
OptionsHandle build_options(const ConnectSpec& spec, Connection::State* state) {
    auto opts = make<OptionsHandle>("create connection options", natsOptions_Create);
    natsOptions* o = opts.get();
    std::vector<std::string> urls;
    for (const auto& url : spec.servers) {
        urls.push_back(url_with_escaped_userinfo(url));
        if (urls.back() != url) {
            state->given_urls.emplace_back(urls.back(), url);
        }
    }
    std::vector<const char*> url_ptrs;
    for (const auto& url : urls) {
        url_ptrs.push_back(url.c_str());
    }
    check(natsOptions_SetServers(o, url_ptrs.data(), static_cast<int>(url_ptrs.size())),
          "invalid server list");
    check(natsOptions_SetName(o, json_escaped(spec.name).c_str()), "set connection name");
    check(natsOptions_SetTimeout(o, to_millis(spec.timeout)), "set timeout");
    set_credentials(o, spec);
    set_tls(o, spec);
    if (!spec.inbox_prefix.empty()) {
        check(natsOptions_SetCustomInboxPrefix(o, spec.inbox_prefix.c_str()), "set inbox prefix");
    }
    // With a thread per subscription, a reply could be handed over before the request it
    // answers when each arrives on its own subscription; the library's single delivery thread
    // keeps the server's order (see open_library).
    check(natsOptions_UseGlobalMessageDelivery(o, true), "use ordered message delivery");
    if (spec.send_asap) {
        check(natsOptions_SetSendAsap(o, true), "send publishes at once");
    }
    if (spec.reconnect) {
        check(natsOptions_SetMaxReconnect(o, -1), "set reconnect");
        check(natsOptions_SetReconnectWait(o, 500), "set reconnect wait");
    } else {
        check(natsOptions_SetAllowReconnect(o, false), "disable reconnect");
    }
    set_callbacks(o, state);
    return opts;
}

} // namespace

Connection::Connection(ConnectionHandle conn, std::unique_ptr<State> state, ConnectSpec spec)
    : m_state(std::move(state)), m_conn(std::move(conn)), m_spec(std::move(spec)) {}

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

Connection Connection::connect(const ConnectSpec& spec, EventSink notify) {
    open_library();
    auto state = std::make_unique<State>();
    state->notify = std::move(notify);
    state->trace = spec.trace;
    state->reconnect = spec.reconnect;
    auto opts = build_options(spec, state.get());
    natsConnection* raw = nullptr;
    const auto started = std::chrono::steady_clock::now();
    ConnectWatchdog watchdog(spec.timeout
                             * static_cast<long>(std::max<std::size_t>(spec.servers.size(), 1)));
    const natsStatus status = natsConnection_Connect(&raw, opts.get());
    if (watchdog.stop()) {
        if (status == NATS_OK) {
            // Connected just as the watchdog cut its socket: close it properly, then fail.
            Connection cut(ConnectionHandle(raw), std::move(state), spec);
        }
        throw ConnectError(NATS_TIMEOUT,
                           "timed out after " + format_go_duration(spec.timeout)
                               + " (the server did not complete the TLS handshake)",
                           std::chrono::steady_clock::now() - started);
    }
    if (status != NATS_OK) {
        throw ConnectError(
            status, connect_failure_detail(status), std::chrono::steady_clock::now() - started);
    }
    ConnectionHandle conn(raw);
    {
        std::lock_guard lock(state->mutex);
        state->current_url = connected_url_of(raw, *state);
    }
    if (spec.trace) {
        state->emit(">>> connected to " + connected_url_of(raw, *state));
    }
    return Connection(std::move(conn), std::move(state), spec);
}

Duration Connection::flush(Duration timeout, const std::string& what) {
    const auto start = std::chrono::steady_clock::now();
    check(natsConnection_FlushTimeout(m_conn.get(), to_millis(timeout)), what);
    return std::chrono::steady_clock::now() - start;
}

bool Connection::is_connected() const {
    return natsConnection_Status(m_conn.get()) == NATS_CONN_STATUS_CONNECTED;
}

std::uint64_t Connection::reconnect_count() const {
    natsStatistics* raw = nullptr;
    if (natsStatistics_Create(&raw) != NATS_OK) {
        return 0;
    }
    Handle<natsStatistics, natsStatistics_Destroy> stats(raw);
    std::uint64_t reconnects = 0;
    if (natsConnection_GetStats(m_conn.get(), stats.get()) == NATS_OK) {
        natsStatistics_GetCounts(stats.get(), nullptr, nullptr, nullptr, nullptr, &reconnects);
    }
    return reconnects;
}

std::string Connection::connected_url() const {
    return connected_url_of(m_conn.get(), *m_state);
}

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
