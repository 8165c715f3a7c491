#include <natty/nats/error.hpp>
#include <natty/nats/subscription.hpp>

namespace natty::nats {

Subscription Subscription::subscribe(Connection& connection,
                                     const std::string& subject,
                                     const std::string& queue) {
    const std::string what = "subscribe to \"" + subject + "\"";
    if (queue.empty()) {
        return Subscription(
            make<SubscriptionHandle>(
                what, natsConnection_SubscribeSync, connection.get(), subject.c_str()),
            subject);
    }
    return Subscription(make<SubscriptionHandle>(what,
                                                 natsConnection_QueueSubscribeSync,
                                                 connection.get(),
                                                 subject.c_str(),
                                                 queue.c_str()),
                        subject);
}

std::optional<Message> Subscription::next(std::chrono::milliseconds wait) {
    if (m_finished) {
        return std::nullopt;
    }
    natsMsg* raw = nullptr;
    const natsStatus status = natsSubscription_NextMsg(&raw, m_sub.get(), wait.count());
    if (status == NATS_OK && raw != nullptr) {
        return Message(MessageHandle(raw));
    }
    switch (status) {
    case NATS_TIMEOUT:
    case NATS_SLOW_CONSUMER:
        nats_GetLastError(nullptr);
        return std::nullopt;
    case NATS_NO_RESPONDERS:
        nats_GetLastError(nullptr);
        m_no_responders = true;
        return std::nullopt;
    case NATS_INVALID_SUBSCRIPTION:
    case NATS_CONNECTION_CLOSED:
    case NATS_MAX_DELIVERED_MSGS:
        nats_GetLastError(nullptr);
        m_finished = true;
        return std::nullopt;
    default:
        check(status, "receive on \"" + m_subject + "\"");
        return std::nullopt;
    }
}

void Subscription::set_pending_limits(int messages, int bytes) {
    check(natsSubscription_SetPendingLimits(m_sub.get(), messages, bytes),
          "set pending limits on \"" + m_subject + "\"");
}

std::int64_t Subscription::dropped() const {
    int64_t count = 0;
    if (natsSubscription_GetDropped(m_sub.get(), &count) != NATS_OK) {
        nats_GetLastError(nullptr);
        return 0;
    }
    return count;
}

void Subscription::drain() {
    if (natsSubscription_Drain(m_sub.get()) != NATS_OK) {
        nats_GetLastError(nullptr);
        m_finished = true;
    }
}

} // namespace natty::nats
