#pragma once

// Helpers shared by the kv commands: kv.cpp (defines them), kv_bucket.cpp (whole buckets),
// kv_entry.cpp (one key) and kv_watch.cpp; private to src/commands.

#include <natty/commands/runtime.hpp>
#include <natty/nats/jetstream.hpp>
#include <natty/nats/kv.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace natty::kv_common {

// A connection with its JetStream context.
struct Session {
    explicit Session(Runtime& runtime, bool reconnect = false)
        : connection(runtime.connect(reconnect, /*send_asap=*/true)), js(connection) {}
    nats::Connection connection;
    nats::JetStream js;
};

// "\"text\"".
std::string in_quotes(std::string_view s);
// Throws UsageError (exit 2) for an invalid bucket name.
void require_bucket(std::string_view bucket);
// Throws UsageError (exit 2) for an invalid key.
void require_key(std::string_view key);
// Throws UsageError (exit 2) for an invalid key filter (keys and watch).
void require_filter(std::string_view filter);
// One revision as the JSON object of `get --json`, `history --json` and `watch --json`.
nlohmann::json record_json(const nats::KvRecord& r);
// The bucket's stream info (config, state, cluster); throws the not-found error (exit 7)
// naming the buckets that exist.
nats::StreamInfo bucket_info(nats::JetStream& js, const std::string& bucket);
// Opens the bucket; throws the same not-found error as bucket_info().
nats::KvBucket open_bucket(nats::JetStream& js, const std::string& bucket);

} // namespace natty::kv_common
