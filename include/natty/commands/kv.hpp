#pragma once

#include <natty/commands/runtime.hpp>
#include <natty/nats/stream_info.hpp>
#include <natty/util/kv_names.hpp>

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace natty {

struct KvAddOptions {
    std::string bucket;
    std::string description;
    int history = 1;
    std::string ttl; // Go duration, "" = no limit
    std::string storage = "file";
    int replicas = 1;
    std::string max_value_size;  // "" = unlimited
    std::string max_bucket_size; // "" = unlimited
    bool json = false;
};

struct KvBucketOptions {
    std::string bucket;
    bool json = false;
    bool names = false;
    bool force = false;
};

struct KvKeyOptions {
    std::string bucket;
    std::string key;
    std::optional<std::string> value; // absent = read stdin
    std::uint64_t revision = 0;       // get --revision, update/revert REV
    bool has_revision = false;
    bool raw = false;
    bool json = false;
};

struct KvWatchOptions {
    std::string bucket;
    std::string filter = ">";
    bool updates_only = false;
    bool history = false;
    bool no_deletes = false;
    std::uint64_t revision = 0; // 0 = not given
    bool json = false;
};

// Registers `natty kv ...`.
void setup_kv(CLI::App& app, Runtime& runtime);

void run_kv_add(const KvAddOptions& options, Runtime& runtime);
void run_kv_list(const KvBucketOptions& options, Runtime& runtime);
void run_kv_info(const KvBucketOptions& options, Runtime& runtime);
void run_kv_remove(const KvBucketOptions& options, Runtime& runtime);
void run_kv_compact(const KvBucketOptions& options, Runtime& runtime);
void run_kv_put(const KvKeyOptions& options, Runtime& runtime);
void run_kv_create(const KvKeyOptions& options, Runtime& runtime);
void run_kv_update(const KvKeyOptions& options, Runtime& runtime);
void run_kv_get(const KvKeyOptions& options, Runtime& runtime);
void run_kv_delete(const KvKeyOptions& options, Runtime& runtime);
void run_kv_purge(const KvKeyOptions& options, Runtime& runtime);
void run_kv_history(const KvKeyOptions& options, Runtime& runtime);
void run_kv_revert(const KvKeyOptions& options, Runtime& runtime);
void run_kv_keys(const KvKeyOptions& options, Runtime& runtime);
void run_kv_watch(const KvWatchOptions& options, Runtime& runtime);

// A value for a one-line view: text as is (cut to `max` characters with "..."), anything with
// control characters or invalid UTF-8 as "base64:<data>", the empty value as "" .
std::string render_value_inline(std::string_view value, std::size_t max);
// A bucket's stream (KV_<bucket>) as the object of `kv info --json` and `kv ls --json`.
nlohmann::json kv_bucket_json(const nats::StreamInfo& info);
// A bucket's stream as `kv info` and `kv add` print it.
void render_kv_bucket(Io& io, const nats::StreamInfo& info);

} // namespace natty
