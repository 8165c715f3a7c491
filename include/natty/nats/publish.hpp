#pragma once

#include <natty/nats/connection.hpp>
#include <natty/nats/jetstream.hpp>
#include <natty/nats/message.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace natty::nats {

// A message to publish with its headers added in order (Message::create takes none).
Message make_message(const std::string& subject,
                     const std::string& reply,
                     std::string_view data,
                     const Headers& headers);

// Publishes one message; `reply` may be empty, and headers make it a full message. Runs per
// message, so a failure's text is built only when it happens: NatsError "publish to "<subject>"".
// A refusal by the server (permissions) arrives later: see raise_async_error().
void publish(Connection& connection,
             const std::string& subject,
             const std::string& reply,
             std::string_view data,
             const Headers& headers = {});

// Throws the first asynchronous error nats.c reported on the connection since the last call
// (a permission violation, ...), or the connection's own last error when it is a permission
// violation, as NatsError "<what>: <reason>".
void raise_async_error(Connection& connection, std::string_view what);

// Throws NatsError (connection_lost()) when nats.c has closed the connection for good, with
// the server's reason when nats.c kept it.
void raise_if_closed(Connection& connection, std::string_view what);

// What JetStream answered for a stored message.
struct PubAck {
    std::string stream;
    std::uint64_t sequence = 0;
    std::string domain; // empty unless the stream is in a JetStream domain
    bool duplicate = false; // the stream already had a message with this Nats-Msg-Id
};

// Publishes to JetStream and waits (the context's timeout) for the stream's ack. Throws
// NatsError: no_responders() when no stream stores the subject, an async error (permissions)
// when one explains the failure, else the JetStream error ("<what>: <reason>").
PubAck jetstream_publish(JetStream& js, const Message& message, std::string_view what);

} // namespace natty::nats
