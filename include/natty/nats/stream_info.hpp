#pragma once

// What commands read about JetStream streams and accounts, as plain values copied out of nats.c.
// Limits keep JetStream's own convention: -1 (or 0) means unlimited, as the server reports them.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace natty::nats {

enum class StorageType { file, memory };

// "file" or "memory".
const char* storage_name(StorageType storage);

struct StreamConfig {
    std::string name;
    std::string description;
    std::vector<std::string> subjects;
    StorageType storage = StorageType::file;
    std::int64_t replicas = 1;
    std::int64_t max_consumers = -1;
    std::int64_t max_messages = -1;
    std::int64_t max_bytes = -1;
    std::chrono::nanoseconds max_age{0}; // 0: no limit
    std::int64_t max_messages_per_subject = -1;
    std::int32_t max_message_size = -1;
};

struct StreamState {
    std::uint64_t messages = 0;
    std::uint64_t bytes = 0;
    std::uint64_t first_sequence = 0;
    std::uint64_t last_sequence = 0;
    // nullopt while the stream has never held a message.
    std::optional<std::chrono::system_clock::time_point> first_time;
    std::optional<std::chrono::system_clock::time_point> last_time;
    std::int64_t consumers = 0;
};

// One replica of a clustered stream, as the stream's leader sees it.
struct PeerInfo {
    std::string name;
    bool current = false;
    bool offline = false;
    std::chrono::nanoseconds active{0}; // since the replica was last seen
    std::uint64_t lag = 0;              // operations behind the leader
};

struct ClusterInfo {
    std::string name;
    std::string leader;
    std::vector<PeerInfo> replicas; // without the leader
};

struct StreamInfo {
    StreamConfig config;
    StreamState state;
    std::chrono::system_clock::time_point created;
    std::optional<ClusterInfo> cluster; // nullopt when the server reports no placement
};

struct AccountLimits {
    std::int64_t max_memory = -1;
    std::int64_t max_store = -1;
    std::int64_t max_streams = -1;
    std::int64_t max_consumers = -1;
    std::int64_t max_ack_pending = -1;
    std::int64_t memory_max_stream_bytes = -1;
    std::int64_t store_max_stream_bytes = -1;
    bool max_bytes_required = false;
};

// An account's JetStream usage and limits.
struct AccountInfo {
    std::uint64_t memory = 0; // bytes in memory streams
    std::uint64_t store = 0;  // bytes in file streams
    std::int64_t streams = 0;
    std::int64_t consumers = 0;
    std::string domain;
    std::uint64_t api_requests = 0;
    std::uint64_t api_errors = 0;
    AccountLimits limits;
};

} // namespace natty::nats
