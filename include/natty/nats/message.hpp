#pragma once

#include <natty/nats/handle.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace natty::nats {

// Header keys with their values, keys sorted (byte order) and values in arrival order, so
// output never depends on nats.c's hash order.
using Headers = std::vector<std::pair<std::string, std::vector<std::string>>>;

// Where a message delivered by a JetStream consumer sits in its stream (from its reply subject).
struct JetStreamPosition {
    std::string stream;
    std::uint64_t stream_sequence = 0;
    std::uint64_t consumer_sequence = 0;
    std::chrono::system_clock::time_point time; // when the stream stored it
};

// An owned natsMsg: received from a subscription or built to be published.
class Message {
public:
    explicit Message(MessageHandle msg) : m_msg(std::move(msg)) {}

    // A message to publish; reply may be empty. Sizes beyond INT_MAX are refused.
    static Message create(std::string_view subject, std::string_view reply, std::string_view data);

    natsMsg* get() const { return m_msg.get(); }

    std::string_view subject() const;
    std::string_view reply() const;
    std::string_view data() const;
    // Headers in stable sorted order (empty when the message has none).
    Headers headers() const;
    // The first value of a header, or "" when absent.
    std::string header(const char* key) const;
    // Appends a value to a header (keeping earlier values).
    void add_header(const std::string& key, const std::string& value);
    // The stream position of a JetStream delivery; nullopt for a core NATS message.
    std::optional<JetStreamPosition> jetstream_position() const;
    // True for the server's "no responders" status reply to a request.
    bool is_no_responders() const { return natsMsg_IsNoResponders(m_msg.get()); }

private:
    MessageHandle m_msg;
};

// Bytes the headers take on the wire ("NATS/1.0\r\n", "Key: value\r\n" lines, final CRLF),
// for checking a message against the server's max_payload before sending it.
std::size_t header_wire_size(const Headers& headers);

} // namespace natty::nats
