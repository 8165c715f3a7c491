#pragma once

// The delivery side of `natty sub` (sub_delivery.cpp): subscriptions, the hand-over queue from
// nats.c's delivery thread to the printing thread, and the stalled-output watchdog. Private to
// src/commands; the printers are in sub_print.hpp, the command itself in sub.cpp.

#include <natty/io.hpp>
#include <natty/nats/async_subscription.hpp>
#include <natty/nats/connection.hpp>
#include <natty/nats/consumer.hpp>
#include <natty/nats/message.hpp>
#include <natty/util/interrupt.hpp>

#include <pthread.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace natty::sub_detail {

using Clock = std::chrono::steady_clock;
using WallClock = std::chrono::system_clock;

// How long the printing thread waits for messages before it checks for Ctrl-C and the rest.
constexpr std::chrono::milliseconds k_poll{100};

// One received message and when it arrived.
struct Received {
    nats::Message msg;
    WallClock::time_point time;
};

// Hands messages from nats.c's delivery thread to the printing thread. natty's connections use
// the library's one delivery thread for all their subscriptions (see nats::open_library), so this
// is called from that single thread, in the server's order. When the queue is full it blocks
// that thread, which makes nats.c buffer further messages for each subscription up to its
// pending limit and then drop and count them (slow consumer) instead of growing without bound.
class Handover {
public:
    void push(nats::Message msg);
    // Moves everything queued into `out`, waiting up to `wait` when nothing is queued.
    void take(std::deque<Received>& out, std::chrono::milliseconds wait);
    // From now on pushed messages are dropped and push() never blocks.
    void discard();

    void expect_completion();
    void completed();
    bool all_completed();
    bool wait_all_completed(std::chrono::milliseconds timeout);

private:
    std::mutex m_mutex;
    std::condition_variable m_ready;
    std::condition_variable m_space;
    std::condition_variable m_all_done;
    std::deque<Received> m_items;
    bool m_waiting = false;
    bool m_discard = false;
    int m_active = 0;
    int m_done_count = 0;
};

// Owns the subscriptions and the hand-over queue; on destruction stops delivery and waits
// (bounded) until nats.c has completed each subscription; after that no callback can reach
// the queue (nats::AsyncSubscription detaches its handler when destroyed).
class SubscriptionSet {
public:
    explicit SubscriptionSet(nats::Connection& connection) : m_conn(connection) {}
    SubscriptionSet(const SubscriptionSet&) = delete;
    SubscriptionSet& operator=(const SubscriptionSet&) = delete;
    ~SubscriptionSet();

    void add_core(const std::string& subject, const std::string& queue);
    void add_jetstream(nats::JetStream& js, const nats::OrderedConsumerConfig& config);

    Handover& handover() { return m_handover; }

    // Messages nats.c dropped (slow consumer) over all subscriptions, including those of
    // subscriptions that have since been drained or closed.
    std::int64_t dropped();

    // Stops interest; nats.c delivers what it has queued, then completes each subscription.
    void drain();

private:
    void adopt(nats::AsyncSubscription sub);
    void deliver(nats::Message msg) { m_handover.push(std::move(msg)); }
    void complete() { m_handover.completed(); }

    nats::Connection& m_conn;
    Handover m_handover; // declared before m_subs: it must outlive every callback
    std::vector<nats::AsyncSubscription> m_subs;
};

// After Ctrl-C a write to stdout can block for good (a reader that stopped reading: a paused
// pager, a stalled pipe or FIFO) and keep natty from printing its summary and exiting. Once a
// signal has arrived, this gives the main thread k_stalled_output_grace to get through its
// writes; then it points stdout at /dev/null and interrupts the blocked write (the handler is
// installed without SA_RESTART; the retried write goes to /dev/null), so the summary and exit
// code still come.
class StalledOutputWatchdog {
public:
    StalledOutputWatchdog(const InterruptGuard& interrupt, Io& io);
    StalledOutputWatchdog(const StalledOutputWatchdog&) = delete;
    StalledOutputWatchdog& operator=(const StalledOutputWatchdog&) = delete;
    ~StalledOutputWatchdog() { stop(); }

    // Called by the main thread once it is done writing to stdout.
    void stop();

private:
    void watch();

    const InterruptGuard& m_interrupt;
    Io& m_io;
    pthread_t m_main;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_stopped = false;
    std::thread m_thread; // last: starts after everything it uses
};

} // namespace natty::sub_detail
