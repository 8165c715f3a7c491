#pragma once

#include <natty/nats/async_subscription.hpp>
#include <natty/nats/jetstream.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace natty::nats {

// Where in a stream a new consumer starts.
enum class DeliverPolicy { all, new_only, last, by_start_time, by_start_sequence };

// An ordered, ephemeral push consumer on one stream: nats.c creates it, acknowledges nothing,
// and recreates it after a gap, so messages arrive once, in stream order.
struct OrderedConsumerConfig {
    std::string stream;
    std::string subject; // filter; empty for every subject of the stream
    DeliverPolicy deliver = DeliverPolicy::all;
    std::chrono::system_clock::time_point start_time{}; // with DeliverPolicy::by_start_time
    std::uint64_t start_sequence = 0;                   // with DeliverPolicy::by_start_sequence
};

// Subscribes through an ordered consumer; failures name the stream and subject.
AsyncSubscription subscribe_ordered(JetStream& js,
                                    const OrderedConsumerConfig& config,
                                    AsyncSubscription::Handler on_message,
                                    AsyncSubscription::Completion on_complete);

// The subjects the stream stores, or nullopt when there is no such stream.
std::optional<std::vector<std::string>> stream_subjects(JetStream& js, const std::string& stream);

} // namespace natty::nats
