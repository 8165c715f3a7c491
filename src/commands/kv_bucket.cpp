// `natty kv add|ls|info|rm|compact`: whole buckets.

#include "kv_common.hpp"

#include <natty/commands/kv.hpp>
#include <natty/error.hpp>
#include <natty/nats/jetstream.hpp>
#include <natty/nats/kv.hpp>
#include <natty/output/output.hpp>
#include <natty/util/time.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <istream>
#include <limits>
#include <ostream>
#include <string>

namespace natty {
namespace {

using kv_common::bucket_info;
using kv_common::in_quotes;
using kv_common::open_bucket;
using kv_common::require_bucket;
using kv_common::Session;

constexpr std::string_view k_stream_prefix = "KV_";
// A typed answer longer than this is cut there (and so is not "yes").
constexpr std::size_t k_max_answer = 256;

// Asks "question [y/N]" on a terminal; without one, `force` must have been given.
bool confirm(Runtime& runtime, const std::string& question) {
    runtime.io().err << question << " [y/N] " << std::flush;
    std::string answer;
    runtime.io().read_line(answer, k_max_answer);
    return answer == "y" || answer == "Y" || answer == "yes";
}

void require_force_or_terminal(Runtime& runtime, bool force, const std::string& action) {
    if (!force && !runtime.io().stdin_is_tty) {
        throw UsageError("refusing to " + action
                             + " without confirmation: stdin is not a "
                               "terminal",
                         "add -f to do it without asking");
    }
}

std::string limit_text(std::int64_t v, bool bytes) {
    if (v <= 0) {
        return "unlimited";
    }
    return bytes ? output::human_bytes(static_cast<std::uint64_t>(v)) : std::to_string(v);
}

std::string bucket_name(const nats::StreamInfo& si) {
    const std::string& name = si.config.name;
    return name.rfind(k_stream_prefix, 0) == 0 ? name.substr(k_stream_prefix.size()) : name;
}

// "name, current|outdated[, OFFLINE][, N operations behind]".
std::string replica_text(const nats::PeerInfo& p) {
    std::string text = p.name + ", " + (p.current ? "current" : "outdated");
    if (p.offline) {
        text += ", OFFLINE";
    }
    if (p.lag > 0) {
        text += ", " + std::to_string(p.lag) + " operations behind";
    }
    return text;
}

} // namespace

nlohmann::json kv_bucket_json(const nats::StreamInfo& si) {
    const nats::StreamConfig& c = si.config;
    nlohmann::json j = {
        {"bucket", bucket_name(si)},
        {"stream", c.name},
        {"description", c.description},
        {"created", rfc3339_nano_utc(si.created)},
        {"values", si.state.messages},
        {"bytes", si.state.bytes},
        {"history", c.max_messages_per_subject},
        {"ttl", format_go_duration(c.max_age)},
        {"ttl_ns", c.max_age.count()},
        {"max_value_size", c.max_message_size},
        {"max_bucket_size", c.max_bytes},
        {"storage", nats::storage_name(c.storage)},
        {"replicas", c.replicas},
        {"last_revision", si.state.last_sequence},
        {"last_update",
         si.state.last_time ? nlohmann::json(rfc3339_nano_utc(*si.state.last_time))
                            : nlohmann::json(nullptr)},
    };
    if (si.cluster) {
        nlohmann::json replicas = nlohmann::json::array();
        for (const nats::PeerInfo& p : si.cluster->replicas) {
            replicas.push_back(
                {{"name", p.name}, {"current", p.current}, {"offline", p.offline}, {"lag", p.lag}});
        }
        j["cluster"] = {
            {"name", si.cluster->name}, {"leader", si.cluster->leader}, {"replicas", replicas}};
    }
    return j;
}

void render_kv_bucket(Io& io, const nats::StreamInfo& si) {
    const nats::StreamConfig& c = si.config;
    const std::string bucket = bucket_name(si);
    io.out << "Information for Key-Value Store Bucket " << bucket << " created "
           << local_date_time(si.created) << "\n\nConfiguration:\n\n";
    output::Columns cfg;
    cfg.add("Bucket Name", bucket);
    cfg.add("History Kept", std::to_string(c.max_messages_per_subject));
    cfg.add("Values Stored", std::to_string(si.state.messages));
    cfg.add("Backing Store Kind", "JetStream");
    if (!c.description.empty()) {
        cfg.add("Description", c.description);
    }
    cfg.add("Bucket Size", output::human_bytes(si.state.bytes));
    cfg.add("Maximum Bucket Size", limit_text(c.max_bytes, true));
    cfg.add("Maximum Value Size", limit_text(c.max_message_size, true));
    cfg.add("Maximum Age", c.max_age.count() > 0 ? format_go_duration(c.max_age) : "unlimited");
    cfg.add("JetStream Stream", c.name);
    cfg.add("Storage", nats::storage_name(c.storage));
    cfg.add("Replicas", std::to_string(c.replicas));
    cfg.add("Last Revision", std::to_string(si.state.last_sequence));
    cfg.render(io);
    if (si.cluster) {
        io.out << "\nCluster Information:\n\n";
        output::Columns cl;
        cl.add("Name", si.cluster->name);
        cl.add("Leader", si.cluster->leader);
        for (const nats::PeerInfo& p : si.cluster->replicas) {
            cl.add("Replica", replica_text(p));
        }
        cl.render(io);
    }
    io.flush_out();
}

void run_kv_add(const KvAddOptions& options, Runtime& runtime) {
    require_bucket(options.bucket);
    if (options.history < 1 || options.history > 64) {
        throw UsageError("--history must be 1..64, not " + std::to_string(options.history));
    }
    if (options.replicas < 1 || options.replicas > 5) {
        throw UsageError("--replicas must be 1..5, not " + std::to_string(options.replicas));
    }
    nats::KvBucketConfig cfg;
    cfg.bucket = options.bucket;
    cfg.description = options.description;
    cfg.history = options.history;
    cfg.replicas = options.replicas;
    if (!options.ttl.empty()) {
        cfg.ttl = parse_duration(options.ttl, "--ttl");
        if (cfg.ttl.count() != 0 && cfg.ttl < std::chrono::milliseconds(100)) {
            throw UsageError("--ttl must be at least 100ms (or 0 for none), not " + options.ttl);
        }
    }
    const std::string storage = options.storage;
    if (storage == "memory" || storage == "m") {
        cfg.memory_storage = true;
    } else if (storage != "file" && storage != "f") {
        throw UsageError("--storage must be file or memory, not " + in_quotes(storage));
    }
    if (!options.max_value_size.empty()) {
        cfg.max_value_size = parse_size(options.max_value_size, "--max-value-size");
        if (cfg.max_value_size > std::numeric_limits<std::int32_t>::max()) {
            throw UsageError("--max-value-size must be below 2 GiB");
        }
    }
    if (!options.max_bucket_size.empty()) {
        cfg.max_bucket_size = parse_size(options.max_bucket_size, "--max-bucket-size");
    }
    Session s(runtime);
    nats::KvBucket::create(s.js, cfg);
    const auto info = bucket_info(s.js, options.bucket);
    if (options.json) {
        output::write_json(runtime.io(), kv_bucket_json(info));
    } else {
        render_kv_bucket(runtime.io(), info);
    }
}

void run_kv_list(const KvBucketOptions& options, Runtime& runtime) {
    Session s(runtime);
    Io& io = runtime.io();
    if (options.names) {
        for (const auto& name : nats::kv_bucket_names(s.js)) {
            io.out << name << "\n";
        }
        io.flush_out();
        return;
    }
    const auto buckets = nats::kv_bucket_infos(s.js);
    if (options.json) {
        nlohmann::json doc = nlohmann::json::array();
        for (const auto& b : buckets) {
            doc.push_back(kv_bucket_json(b));
        }
        output::write_json(io, doc);
        return;
    }
    if (buckets.empty()) {
        io.out << "No Key-Value buckets found\n";
        io.flush_out();
        return;
    }
    output::Table table({"Bucket", "Description", "Values", "Size", "Last Update"});
    for (const auto& b : buckets) {
        table.add({bucket_name(b),
                   b.config.description,
                   std::to_string(b.state.messages),
                   output::human_bytes(b.state.bytes),
                   b.state.last_time ? local_date_time(*b.state.last_time) : "never"});
    }
    table.render(io);
    io.flush_out();
}

void run_kv_info(const KvBucketOptions& options, Runtime& runtime) {
    require_bucket(options.bucket);
    Session s(runtime);
    const auto info = bucket_info(s.js, options.bucket);
    if (options.json) {
        output::write_json(runtime.io(), kv_bucket_json(info));
    } else {
        render_kv_bucket(runtime.io(), info);
    }
}

void run_kv_remove(const KvBucketOptions& options, Runtime& runtime) {
    require_bucket(options.bucket);
    require_force_or_terminal(runtime, options.force, "delete bucket " + in_quotes(options.bucket));
    Session s(runtime);
    const auto info = bucket_info(s.js, options.bucket);
    if (!options.force
        && !confirm(runtime,
                    "Delete bucket " + options.bucket + " and its "
                        + std::to_string(info.state.messages) + " values?")) {
        runtime.io().note("natty: bucket " + options.bucket + " kept");
        return;
    }
    nats::kv_delete_bucket(s.js, options.bucket);
    runtime.io().note("natty: deleted bucket " + options.bucket);
}

void run_kv_compact(const KvBucketOptions& options, Runtime& runtime) {
    require_bucket(options.bucket);
    require_force_or_terminal(
        runtime, options.force, "compact bucket " + in_quotes(options.bucket));
    Session s(runtime);
    const auto before = bucket_info(s.js, options.bucket);
    if (!options.force
        && !confirm(runtime,
                    "Purge all deleted keys and their history from " + options.bucket + "?")) {
        runtime.io().note("natty: bucket " + options.bucket + " not compacted");
        return;
    }
    auto kv = open_bucket(s.js, options.bucket);
    kv.purge_deletes(s.js, runtime.settings().timeout);
    const auto after = bucket_info(s.js, options.bucket);
    const std::uint64_t removed = before.state.messages > after.state.messages
                                      ? before.state.messages - after.state.messages
                                      : 0;
    Io& io = runtime.io();
    if (options.json) {
        output::write_json(
            io,
            {{"bucket", options.bucket}, {"removed", removed}, {"values", after.state.messages}});
        return;
    }
    io.out << "Compacted " << options.bucket << ": removed " << removed << " messages, "
           << after.state.messages << " remain\n";
    io.flush_out();
}

} // namespace natty
