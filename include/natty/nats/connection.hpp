#pragma once

#include <natty/nats/connect_spec.hpp>
#include <natty/nats/error.hpp>
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

// An asynchronous error nats.c reported through its error handler (permission violations,
// slow consumers): nats.c's publish and flush return OK for these.
struct AsyncError {
    natsStatus status = NATS_OK;
    std::string text;

    bool not_permitted() const { return status == NATS_NOT_PERMITTED; }
};

// A connect that failed, as nats.c reported it; its exit code is 4 (cannot connect) unless the
// credentials were refused (5) or TLS failed (6). This layer does not explain it: the diagnose
// layer, which knows where each setting came from and can probe the server, does.
class ConnectError : public NatsError {
public:
    ConnectError(natsStatus status, std::string detail, Duration elapsed);

    // nats.c's detail, or else its status text ("No server available for connection").
    const std::string& reason() const { return m_reason; }
    // How long the attempt took, so a diagnosis can keep within what is left of the timeout.
    Duration elapsed() const { return m_elapsed; }

    bool auth_failed() const;   // the server rejected the credentials
    bool tls_wanted() const;    // TLS is required here but the server does not offer it
    bool tls_failed() const;    // handshake or certificate verification failed
    bool no_server() const;     // no server could be reached (refused, unresolvable, ...)

private:
    std::string m_reason;
    Duration m_elapsed;
};

// An open connection. Owns the natsConnection and the state its callbacks write to.
class Connection {
public:
    // Connects as the spec says; `notify` receives disconnect/reconnect/trace notices (stderr
    // in the CLI). Throws ConnectError when nats.c cannot connect, Error for unusable options.
    static Connection connect(const ConnectSpec& spec, EventSink notify = {});

    Connection(Connection&&) noexcept;
    Connection& operator=(Connection&&) = delete;
    ~Connection();

    natsConnection* get() const { return m_conn.get(); }
    // What this connection was opened with (timeout, JetStream domain, inbox prefix, ...).
    const ConnectSpec& spec() const { return m_spec; }

    // PING/PONG bounded by `timeout`; returns the round-trip time. A failure is a NatsError
    // whose message starts with `what`.
    Duration flush(Duration timeout, const std::string& what = "flush to server");
    // Connected now (not reconnecting, draining or closed).
    bool is_connected() const;
    // How many times nats.c has reconnected this connection.
    std::uint64_t reconnect_count() const;

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
    Connection(ConnectionHandle conn, std::unique_ptr<State> state, ConnectSpec spec);

    std::unique_ptr<State> m_state; // declared first: callbacks may use it until m_conn is gone
    ConnectionHandle m_conn;
    ConnectSpec m_spec;
};

} // namespace natty::nats
