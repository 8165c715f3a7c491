#pragma once

#include <natty/nats/connection.hpp>
#include <natty/nats/handle.hpp>
#include <natty/nats/message.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace natty::nats {

// An owned synchronous subscription; next() waits a bounded time so callers can poll for
// Ctrl-C between waits. The connection must outlive it.
class Subscription {
public:
    // Subscribes (queue group when `queue` is non-empty). The subject must already be valid.
    static Subscription
    subscribe(Connection& connection, const std::string& subject, const std::string& queue = {});
    // Adopts a subscription created elsewhere (e.g. a JetStream subscribe).
    explicit Subscription(SubscriptionHandle sub, std::string subject)
        : m_sub(std::move(sub)), m_subject(std::move(subject)) {}

    natsSubscription* get() const { return m_sub.get(); }
    const std::string& subject() const { return m_subject; }

    // The next message, or nullopt when none arrived within `wait`. A slow-consumer notice
    // from nats.c is not an error here (drops are counted by dropped()); a closed or drained
    // subscription sets finished().
    std::optional<Message> next(std::chrono::milliseconds wait);
    bool finished() const { return m_finished; }
    // True once after nats.c reported a "no responders" status for a request on this inbox.
    bool take_no_responders() { return std::exchange(m_no_responders, false); }

    // Raises nats.c's per-subscription buffer (defaults: 65536 messages, 64 MiB).
    void set_pending_limits(int messages, int bytes);
    // Messages nats.c dropped because this subscription fell behind.
    std::int64_t dropped() const;
    // Stops interest; messages already queued can still be read with next() until finished().
    void drain();

private:
    SubscriptionHandle m_sub;
    std::string m_subject;
    bool m_finished = false;
    bool m_no_responders = false;
};

} // namespace natty::nats
