#include "sub_delivery.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <csignal>

namespace natty::sub_detail {
namespace {

// nats.c's per-subscription buffer: generous so a burst is absorbed instead of dropped.
constexpr int k_pending_messages = 1'000'000;
constexpr int k_pending_bytes = 1024 * 1024 * 1024;
// natty's own hand-over queue between nats.c's delivery thread and the printer.
constexpr std::size_t k_queue_capacity = 262'144;
// How long output may stall after Ctrl-C before it is discarded (see StalledOutputWatchdog).
constexpr std::chrono::seconds k_stalled_output_grace{1};

} // namespace

void Handover::push(nats::Message msg) {
    std::unique_lock lock(m_mutex);
    m_space.wait(lock, [&] { return m_discard || m_items.size() < k_queue_capacity; });
    if (m_discard) {
        return;
    }
    m_items.push_back(Received{std::move(msg), WallClock::now()});
    if (m_waiting) {
        m_ready.notify_one();
    }
}

void Handover::take(std::deque<Received>& out, std::chrono::milliseconds wait) {
    std::unique_lock lock(m_mutex);
    if (m_items.empty()) {
        m_waiting = true;
        m_ready.wait_for(lock, wait, [&] { return !m_items.empty() || m_done_count > 0; });
        m_waiting = false;
    }
    const bool was_full = m_items.size() >= k_queue_capacity;
    out.swap(m_items);
    if (was_full) {
        m_space.notify_all();
    }
}

void Handover::discard() {
    std::lock_guard lock(m_mutex);
    m_discard = true;
    m_items.clear();
    m_space.notify_all();
}

void Handover::expect_completion() {
    std::lock_guard lock(m_mutex);
    ++m_active;
}

void Handover::completed() {
    std::lock_guard lock(m_mutex);
    ++m_done_count;
    m_all_done.notify_all();
    m_ready.notify_all();
}

bool Handover::all_completed() {
    std::lock_guard lock(m_mutex);
    return m_done_count >= m_active;
}

bool Handover::wait_all_completed(std::chrono::milliseconds timeout) {
    std::unique_lock lock(m_mutex);
    return m_all_done.wait_for(lock, timeout, [&] { return m_done_count >= m_active; });
}

SubscriptionSet::~SubscriptionSet() {
    m_handover.discard();
    for (auto& sub : m_subs) {
        sub.unsubscribe();
    }
    m_handover.wait_all_completed(std::chrono::seconds(2));
}

void SubscriptionSet::add_core(const std::string& subject, const std::string& queue) {
    adopt(nats::AsyncSubscription::subscribe(
        m_conn,
        subject,
        queue,
        [this](nats::Message msg) { deliver(std::move(msg)); },
        [this] { complete(); }));
}

void SubscriptionSet::add_jetstream(nats::JetStream& js,
                                    const nats::OrderedConsumerConfig& config) {
    adopt(nats::subscribe_ordered(
        js,
        config,
        [this](nats::Message msg) { deliver(std::move(msg)); },
        [this] { complete(); }));
}

std::int64_t SubscriptionSet::dropped() {
    std::int64_t total = 0;
    for (auto& sub : m_subs) {
        total += sub.dropped();
    }
    return total;
}

void SubscriptionSet::drain() {
    for (auto& sub : m_subs) {
        sub.drain();
    }
}

void SubscriptionSet::adopt(nats::AsyncSubscription sub) {
    sub.set_pending_limits(k_pending_messages, k_pending_bytes);
    m_handover.expect_completion();
    m_subs.push_back(std::move(sub));
}

StalledOutputWatchdog::StalledOutputWatchdog(const InterruptGuard& interrupt, Io& io)
    : m_interrupt(interrupt), m_io(io), m_main(::pthread_self()), m_thread([this] { watch(); }) {}

void StalledOutputWatchdog::stop() {
    {
        std::lock_guard lock(m_mutex);
        m_stopped = true;
    }
    m_cv.notify_all();
    if (m_thread.joinable()) {
        m_thread.join();
    }
}

void StalledOutputWatchdog::watch() {
    std::unique_lock lock(m_mutex);
    while (!m_stopped && !m_interrupt.requested()) {
        m_cv.wait_for(lock, k_poll);
    }
    if (m_cv.wait_for(lock, k_stalled_output_grace, [&] { return m_stopped; })) {
        return;
    }
    m_io.note("natty: stdout is not being read; discarding the rest of the output");
    // Only a real stdout can be swapped; an in-process Io has no descriptor to redirect.
    const int devnull = m_io.out_fd >= 0 ? ::open("/dev/null", O_WRONLY | O_CLOEXEC) : -1;
    if (devnull >= 0) {
        ::dup2(devnull, m_io.out_fd);
        ::close(devnull);
    }
    while (!m_stopped) {
        ::pthread_kill(m_main, m_interrupt.signal_number());
        m_cv.wait_for(lock, k_poll);
    }
}

} // namespace natty::sub_detail
