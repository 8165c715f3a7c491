#pragma once

#include <natty/context/settings.hpp>
#include <natty/nats/connect_spec.hpp>
#include <natty/nats/handle.hpp>
#include <natty/util/duration.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace natty::nats {

// Receives connection events from nats.c threads: disconnects, reconnects, async errors.
using EventSink = std::function<void(const std::string& line)>;

struct ConnectOptions {
    // Long-running commands (sub, kv watch) reconnect forever; one-shot commands fail fast.
    bool reconnect = false;
    // Where to report disconnect/reconnect/async-error notices (stderr in the CLI).
    EventSink notify;
};

// An asynchronous error nats.c reported through its error handler (permission violations,
// slow consumers): nats.c's publish and flush return OK for these.
struct AsyncError {
    natsStatus status = NATS_OK;
    std::string text;
};

// An open connection. Owns the natsConnection and the state its callbacks write to.
class Connection {
public:
    // Connects using the settings; on failure throws natty::Error with a diagnosed reason
    // (refused, timed out, authorization, TLS verification with certificate details).
    static Connection connect(const Settings& settings, ConnectOptions options = {});

    Connection(Connection&&) noexcept;
    Connection& operator=(Connection&&) = delete;
    ~Connection();

    natsConnection* get() const { return m_conn.get(); }
    const Settings& settings() const { return m_settings; }
    // What this connection was opened with (timeout, JetStream domain, inbox prefix, ...).
    const ConnectSpec& spec() const { return m_spec; }

    // PING/PONG bounded by `timeout`; returns the round-trip time.
    Duration flush(Duration timeout);
    // Flushes and raises any async error (e.g. permission violation) collected so far.
    void flush_and_check(Duration timeout, std::string_view what);

    // Redacted URL of the server in use, e.g. "nats://127.0.0.1:4222".
    std::string connected_url() const;
    std::string server_id() const;
    std::int64_t max_payload() const;

    // Async errors since the last call (cleared).
    std::optional<AsyncError> take_async_error();
    // Messages nats.c dropped for slow consumers, summed over subscriptions.
    std::uint64_t slow_consumer_events() const;

    struct State;

private:
    Connection(ConnectionHandle conn, std::unique_ptr<State> state, const Settings& settings);

    std::unique_ptr<State> m_state; // declared first: callbacks may use it until m_conn is gone
    ConnectionHandle m_conn;
    Settings m_settings;
    ConnectSpec m_spec;
};

// Builds nats.c options from settings (exposed for tests). TLS is forced on when required.
OptionsHandle build_options(const Settings& settings, const ConnectOptions& options,
                            Connection::State* state);

} // namespace natty::nats
