// `server check kv`: the bucket exists, how many values it holds, and optionally that a key is
// present and not deleted.

#include "server_check.hpp"

#include <natty/commands/kv.hpp>
#include <natty/nats/jetstream.hpp>
#include <natty/nats/kv.hpp>

#include <cstdio>

namespace natty {
namespace {

using output::CheckResult;
using output::CheckStatus;

// The --key part of the kv check: present with a value, else why not.
void check_kv_key(CheckResult& result,
                  nats::KvBucket& bucket,
                  const std::string& key,
                  Duration timeout) {
    if (const auto record = bucket.get(key)) {
        result.ok("key " + key + " found at revision " + std::to_string(record->revision));
        return;
    }
    const auto history = bucket.history(key, timeout);
    if (history.empty()) {
        result.critical("key " + key + " not found");
        return;
    }
    const auto& last = history.back();
    result.critical("key " + key + " is " + (last.op == nats::KvOp::purge ? "purged" : "deleted")
                    + " (revision " + std::to_string(last.revision) + ")");
}

// The bucket's value count against the thresholds, plus its size and replicas as perfdata;
// a missing bucket throws the not-found error.
void check_kv_bucket(CheckResult& result,
                     nats::JetStream& js,
                     const std::string& bucket,
                     std::optional<double> warn,
                     std::optional<double> crit) {
    const auto stream = nats::kv_bucket_info(js, bucket);
    if (!stream) {
        throw Error(ExitCode::not_found, "bucket " + bucket + " not found");
    }
    const std::uint64_t count = stream->state.messages;
    const auto values = static_cast<double>(count);
    const CheckStatus values_status = output::classify(values, warn, crit);
    std::string text = "bucket " + bucket + " has " + std::to_string(count) + " values";
    if (values_status != CheckStatus::ok) {
        const double threshold = values_status == CheckStatus::critical ? *crit : *warn;
        char buf[32];
        std::snprintf(buf, sizeof buf, "%0.0f", threshold);
        text += " (threshold " + std::string(buf) + ")";
    }
    result.add(values_status, text);
    result.perf({"values", values, "", warn, crit, "How many values the bucket holds"});
    result.perf({"bytes",
                 static_cast<double>(stream->state.bytes),
                 "B",
                 {},
                 {},
                 "Bytes stored in the bucket"});
    result.perf({"replicas",
                 static_cast<double>(stream->config.replicas),
                 "",
                 {},
                 {},
                 "Replicas of the bucket"});
}

void check_kv(const KvCheckOptions& options, Runtime& runtime, CheckResult& result) {
    const auto warn = server_check::number_threshold(options.values_warn, "--values-warn", result);
    const auto crit =
        server_check::number_threshold(options.values_critical, "--values-critical", result);
    if (options.bucket.empty()) {
        result.unknown("--bucket is required");
    } else if (const std::string problem = kv_bucket_problem(options.bucket); !problem.empty()) {
        result.unknown("invalid --bucket: " + problem);
    }
    if (!options.key.empty()) {
        if (const std::string problem = kv_key_problem(options.key); !problem.empty()) {
            result.unknown("invalid --key: " + problem);
        }
    }
    auto conn = server_check::connect_for_check(runtime, result);
    if (!conn) {
        return;
    }
    try {
        nats::JetStream js(*conn);
        check_kv_bucket(result, js, options.bucket, warn, crit);
        if (!options.key.empty()) {
            auto bucket = nats::KvBucket::open(js, options.bucket);
            check_kv_key(result, bucket, options.key, conn->spec().timeout);
        }
    } catch (const Error& e) {
        result.critical(e.what());
    }
}

} // namespace

void run_check_kv(const KvCheckOptions& options, Runtime& runtime) {
    server_check::run_check({options.bucket.empty() ? "KV" : options.bucket, "kv"},
                            options.output,
                            runtime,
                            [&](CheckResult& result) { check_kv(options, runtime, result); });
}

} // namespace natty
