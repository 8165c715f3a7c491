#include <natty/nats/async_subscription.hpp>
#include <natty/nats/error.hpp>

#include <algorithm>
#include <mutex>

namespace natty::nats {

struct AsyncSubscription::State {
    std::mutex mutex; // held while a callback runs; the destructor takes it to detach
    bool detached = false;
    Handler on_message;
    Completion on_complete;
};

namespace {

using Closure = std::shared_ptr<AsyncSubscription::State>;

void deliver(natsConnection* /*nc*/, natsSubscription* /*sub*/, natsMsg* msg, void* closure) {
    Message message{MessageHandle(msg)};
    AsyncSubscription::State& state = **static_cast<Closure*>(closure);
    std::lock_guard lock(state.mutex);
    if (!state.detached) {
        state.on_message(std::move(message));
    }
}

// nats.c's last call for a subscription: it also frees the closure.
void complete(void* closure) {
    const std::unique_ptr<Closure> owner(static_cast<Closure*>(closure));
    AsyncSubscription::State& state = **owner;
    std::lock_guard lock(state.mutex);
    if (!state.detached && state.on_complete) {
        state.on_complete();
    }
}

} // namespace

AsyncSubscription::AsyncSubscription(std::string subject,
                                     std::shared_ptr<State> state,
                                     SubscriptionHandle sub)
    : m_subject(std::move(subject)), m_state(std::move(state)), m_sub(std::move(sub)) {}

AsyncSubscription AsyncSubscription::subscribe(Connection& connection,
                                               const std::string& subject,
                                               const std::string& queue,
                                               Handler on_message,
                                               Completion on_complete) {
    const std::string what = "subscribe to \"" + subject + "\"";
    return create(
        subject,
        [&](natsMsgHandler handler, void* closure) {
            if (queue.empty()) {
                return make<SubscriptionHandle>(what,
                                                natsConnection_Subscribe,
                                                connection.get(),
                                                subject.c_str(),
                                                handler,
                                                closure);
            }
            return make<SubscriptionHandle>(what,
                                            natsConnection_QueueSubscribe,
                                            connection.get(),
                                            subject.c_str(),
                                            queue.c_str(),
                                            handler,
                                            closure);
        },
        std::move(on_message),
        std::move(on_complete));
}

AsyncSubscription AsyncSubscription::create(const std::string& subject,
                                            const Create& create,
                                            Handler on_message,
                                            Completion on_complete) {
    auto state = std::make_shared<State>();
    state->on_message = std::move(on_message);
    state->on_complete = std::move(on_complete);
    auto closure = std::make_unique<Closure>(state);
    // When create() throws, nats.c has no subscription that could call back: free the closure.
    SubscriptionHandle sub = create(&deliver, closure.get());
    const natsStatus status = natsSubscription_SetOnCompleteCB(sub.get(), &complete, closure.get());
    // From here nats.c may call deliver() with the closure until it calls complete(), which
    // frees it. Should nats.c refuse the completion, the closure is leaked rather than freed
    // under a delivery that may still be running.
    closure.release();
    if (status != NATS_OK) {
        {
            std::lock_guard lock(state->mutex);
            state->detached = true;
        }
        check(status, "watch subscription on \"" + subject + "\"");
    }
    return AsyncSubscription(subject, std::move(state), std::move(sub));
}

AsyncSubscription::~AsyncSubscription() {
    if (m_state) {
        std::lock_guard lock(m_state->mutex);
        m_state->detached = true;
    }
}

void AsyncSubscription::set_pending_limits(int messages, int bytes) {
    check(natsSubscription_SetPendingLimits(m_sub.get(), messages, bytes),
          "set pending limits on \"" + m_subject + "\"");
}

std::int64_t AsyncSubscription::dropped() {
    int64_t count = 0;
    if (natsSubscription_GetDropped(m_sub.get(), &count) == NATS_OK) {
        m_dropped_seen = std::max(m_dropped_seen, static_cast<std::int64_t>(count));
    } else {
        clear_last_error();
    }
    return m_dropped_seen;
}

void AsyncSubscription::drain() {
    dropped(); // remember the count before nats.c forgets it
    if (natsSubscription_Drain(m_sub.get()) != NATS_OK) {
        clear_last_error();
    }
}

void AsyncSubscription::unsubscribe() {
    if (natsSubscription_Unsubscribe(m_sub.get()) != NATS_OK) {
        clear_last_error();
    }
}

} // namespace natty::nats
