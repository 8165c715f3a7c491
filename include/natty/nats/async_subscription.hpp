#pragma once

#include <natty/nats/connection.hpp>
#include <natty/nats/handle.hpp>
#include <natty/nats/message.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace natty::nats {

// An owned subscription whose messages nats.c pushes to a handler. natty's connections share
// the library's single delivery thread (see open_library): every handler and completion of every
// asynchronous subscription runs on that one thread, in the order the server sent the messages,
// so a handler that blocks holds up all of them. The connection must outlive it.
class AsyncSubscription {
public:
    // Receives each message on the delivery thread.
    using Handler = std::function<void(Message)>;
    // Called once on the delivery thread after the last message, when the subscription ends
    // (drained, unsubscribed or its connection closed).
    using Completion = std::function<void()>;

    // Subscribes (queue group when `queue` is non-empty). The subject must already be valid.
    static AsyncSubscription subscribe(Connection& connection,
                                       const std::string& subject,
                                       const std::string& queue,
                                       Handler on_message,
                                       Completion on_complete);

    // For other kinds of subscribe in this layer (see consumer.hpp): `create` makes the nats.c
    // subscription with the given message callback and closure, returning it or throwing.
    using Create = std::function<SubscriptionHandle(natsMsgHandler deliver, void* closure)>;
    static AsyncSubscription create(const std::string& subject,
                                    const Create& create,
                                    Handler on_message,
                                    Completion on_complete);

    AsyncSubscription(AsyncSubscription&&) noexcept = default;
    // Not assignable: the subscription assigned over would stay attached to its handler.
    AsyncSubscription& operator=(AsyncSubscription&&) = delete;
    AsyncSubscription(const AsyncSubscription&) = delete;
    AsyncSubscription& operator=(const AsyncSubscription&) = delete;
    // Waits for a handler call in progress to return, then makes sure neither the handler nor
    // the completion is called again, and destroys the subscription.
    ~AsyncSubscription();

    const std::string& subject() const { return m_subject; }

    // Raises nats.c's buffer for this subscription (defaults: 65536 messages, 64 MiB); beyond
    // it nats.c drops messages and counts them (slow consumer).
    void set_pending_limits(int messages, int bytes);
    // Messages nats.c dropped because the handler fell behind. nats.c forgets its count once
    // the subscription is drained or closed, so the largest count seen is kept.
    std::int64_t dropped();
    // Stops interest; nats.c still delivers what it has buffered, then completes.
    void drain();
    // Stops interest at once; buffered messages are not delivered, the completion still runs.
    void unsubscribe();

    struct State; // the handler and completion nats.c calls back into

private:
    AsyncSubscription(std::string subject, std::shared_ptr<State> state, SubscriptionHandle sub);

    std::string m_subject;
    std::shared_ptr<State> m_state;
    SubscriptionHandle m_sub; // after m_state: destroyed first
    std::int64_t m_dropped_seen = 0;
};

} // namespace natty::nats
