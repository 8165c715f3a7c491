#pragma once

#include <natty/nats/handle.hpp>
#include <natty/nats/jetstream.hpp>
#include <natty/nats/stream_info.hpp>
#include <natty/util/duration.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace natty::nats {

// What a KV revision did to its key.
enum class KvOp { put, del, purge };

// "PUT", "DEL" or "PURGE", as in the KV-Operation header.
const char* kv_op_name(KvOp op);

// One revision of one key, copied out of nats.c so it outlives the entry or message.
struct KvRecord {
    std::string bucket;
    std::string key;
    std::string value;
    std::uint64_t revision = 0;
    std::chrono::system_clock::time_point created;
    std::uint64_t delta = 0; // revisions still to come for this watch (pending)
    KvOp op = KvOp::put;
};

// The settings `kv add` may give a new bucket; sizes are bytes, -1 for unlimited.
struct KvBucketConfig {
    std::string bucket;
    std::string description;
    int history = 1;
    Duration ttl{0};
    std::int64_t max_value_size = -1;
    std::int64_t max_bucket_size = -1;
    bool memory_storage = false;
    int replicas = 1;
};

// A handle on one existing bucket; the JetStream context must outlive it.
class KvBucket {
public:
    // Opens the bucket; throws NatsError (not_found()) if it does not exist.
    static KvBucket open(JetStream& js, const std::string& name);
    // Creates the bucket (or returns it when an identical one exists).
    static KvBucket create(JetStream& js, const KvBucketConfig& config);

    const std::string& name() const { return m_name; }
    kvStore* get() const { return m_kv.get(); }

    // The latest value (or the given revision) of key; nullopt when missing, deleted or purged.
    std::optional<KvRecord> get(const std::string& key,
                                std::optional<std::uint64_t> revision = std::nullopt);
    // Returns the new revision.
    std::uint64_t put(const std::string& key, const std::string& value);
    // Creates key; nullopt when it already exists with a value.
    std::optional<std::uint64_t> create(const std::string& key, const std::string& value);
    // Compare-and-set on the key's last revision; nullopt when that revision is not the latest.
    std::optional<std::uint64_t>
    update(const std::string& key, const std::string& value, std::uint64_t last);
    void del(const std::string& key);
    void purge(const std::string& key);
    // Removes every delete/purge marker and the history of deleted keys, whatever their age;
    // a marker whose key is not a valid KV key (only a raw publisher can make one) stays.
    void purge_deletes(JetStream& js, Duration timeout);
    // All revisions still kept for key, oldest first; empty when the key never existed.
    std::vector<KvRecord> history(const std::string& key, Duration timeout);
    // Keys with a current value matching the subject-style filter (">" for all), sorted.
    std::vector<std::string> keys(const std::string& filter, Duration timeout);

private:
    KvBucket(std::string name, KvStoreHandle kv) : m_name(std::move(name)), m_kv(std::move(kv)) {}

    std::string m_name;
    KvStoreHandle m_kv;
};

// Names of all buckets (streams KV_*), sorted; empty when there are none.
std::vector<std::string> kv_bucket_names(JetStream& js);
// The stream of every bucket (streams KV_*), sorted by name; empty when there are none.
std::vector<StreamInfo> kv_bucket_infos(JetStream& js);
// The bucket's stream (configuration, state, placement); nullopt when the bucket does not exist.
std::optional<StreamInfo> kv_bucket_info(JetStream& js, const std::string& bucket);
// kv_bucket_info() as nats.c's struct; an empty handle when the bucket does not exist.
StreamInfoHandle kv_bucket_stream(JetStream& js, const std::string& bucket);
// Deletes the bucket and all its values.
void kv_delete_bucket(JetStream& js, const std::string& bucket);


// Where a change stream starts in the bucket's history.
enum class KvStart {
    last_per_key, // the current value of every key, then live changes (default watch)
    all,          // every revision still kept (--history)
    new_only,     // only changes made after the watch starts (--updates)
    revision,     // from a given revision (stream sequence) onwards (--revision)
};

// One step of a change stream.
struct KvEvent {
    enum class Kind { record, initial_done, idle } kind = Kind::idle;
    KvRecord record;
};

// A watch on a bucket built on an ordered JetStream consumer of the bucket's stream, so it can
// start at any revision and be recreated from the last revision seen (nats.c 3.4's kvWatcher
// can do neither). Entries are decoded from the messages: revision = stream sequence, operation
// from the KV-Operation header, key = subject without "$KV.<bucket>.".
class KvChangeStream {
public:
    // Subscribes at once; throws NatsError on failure (bucket not found: not_found()).
    KvChangeStream(JetStream& js,
                   std::string bucket,
                   std::string filter,
                   KvStart start,
                   std::uint64_t start_revision = 0);

    // The next change; kind idle when nothing arrived within `timeout`. Throws NatsError when the
    // subscription failed (consumer deleted, missed heartbeats, connection closed): the caller
    // may then resume().
    KvEvent next(std::chrono::milliseconds timeout);
    // Replaces the consumer with one starting at `revision` (after a failure or stall).
    void resume(std::uint64_t revision);
    // Asks the server whether the consumer still exists; false on any failure, including no
    // answer within `timeout` (its host may be down).
    bool consumer_alive(std::chrono::milliseconds timeout);

private:
    void subscribe(KvStart start, std::uint64_t start_revision);
    KvRecord decode(natsMsg* msg, std::uint64_t& pending) const;

    JetStream* m_js;
    std::string m_bucket;
    std::string m_filter;
    std::string m_prefix;
    SubscriptionHandle m_sub;
    // Whether the server says nothing is left for the consumer and nothing waits locally;
    // message metadata alone is not enough (nats-server 2.9 can report pending one too high).
    bool consumer_drained();

    bool m_initial_done = false;
    bool m_initial_reported = false;
    std::uint64_t m_initial_end = 0; // revision that completes the initial values, if known
};

} // namespace natty::nats
