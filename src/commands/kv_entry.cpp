// `natty kv put|create|update|get|del|purge|history|revert|keys`: one key of a bucket.

#include "kv_common.hpp"
#include "messaging.hpp"

#include <natty/commands/kv.hpp>
#include <natty/error.hpp>
#include <natty/nats/jetstream.hpp>
#include <natty/nats/kv.hpp>
#include <natty/output/output.hpp>
#include <natty/util/time.hpp>
#include <natty/util/interrupt.hpp>
#include <natty/util/utf8.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace natty {
namespace {

using kv_common::bucket_info;
using kv_common::in_quotes;
using kv_common::open_bucket;
using kv_common::require_bucket;
using kv_common::require_key;
using kv_common::Session;

[[noreturn]] void throw_key_not_found(const std::string& bucket,
                                      const std::string& key,
                                      std::optional<std::uint64_t> revision) {
    if (revision) {
        throw Error(ExitCode::not_found,
                    "key " + in_quotes(key) + " has no revision " + std::to_string(*revision)
                        + " in bucket " + in_quotes(bucket),
                    "list the revisions kept with `natty kv history " + bucket + " " + key + "`");
    }
    throw Error(ExitCode::not_found,
                "key " + in_quotes(key) + " not found in bucket " + in_quotes(bucket),
                "list the keys with `natty kv keys " + bucket + "`");
}

// Without a value argument the value is all of stdin, which must not be a terminal: checked
// before connecting.
void require_value_source(const KvKeyOptions& options, Runtime& runtime) {
    if (!options.value && runtime.io().stdin_is_tty) {
        throw UsageError("no value given and stdin is a terminal",
                         "give the value as an argument or pipe it in, e.g. `echo v | natty kv "
                         "put B K`");
    }
}

// The value argument, or all of stdin, read once connected: at most the server's max_payload.
std::string value_of(const KvKeyOptions& options, Runtime& runtime, const nats::JetStream& js) {
    if (options.value) {
        return *options.value;
    }
    const InterruptGuard interrupt;
    return messaging::read_stdin(runtime.io(), messaging::stdin_limit(js.connection()), interrupt);
}

// Refuses a value that the bucket or the server would reject, naming both numbers.
void check_value_size(nats::JetStream& js, const std::string& bucket, std::size_t size) {
    const auto info = bucket_info(js, bucket);
    const std::int64_t bucket_max = info.config.max_message_size;
    if (bucket_max > 0 && size > static_cast<std::uint64_t>(bucket_max)) {
        throw UsageError("value of " + std::to_string(size) + " bytes is larger than bucket "
                             + in_quotes(bucket) + " allows (max value size "
                             + std::to_string(bucket_max) + " bytes); nothing was written",
                         "shorten the value or recreate the bucket with a larger "
                         "--max-value-size");
    }
    const std::int64_t server_max = js.connection().max_payload();
    if (server_max > 0 && size > static_cast<std::uint64_t>(server_max)) {
        throw UsageError("value of " + std::to_string(size)
                             + " bytes is larger than the server's max_payload of "
                             + std::to_string(server_max) + " bytes; nothing was written",
                         "shorten the value or raise max_payload in the server configuration");
    }
}

// Prints a write's result: the new revision, or a JSON object.
void print_revision(Runtime& runtime, const KvKeyOptions& options, std::uint64_t revision) {
    Io& io = runtime.io();
    if (options.json) {
        output::write_json(
            io, {{"bucket", options.bucket}, {"key", options.key}, {"revision", revision}});
        return;
    }
    io.out << revision << "\n";
    io.flush_out();
}

// What a command works on: a connection with its JetStream context and one opened bucket.
struct BucketSession {
    BucketSession(Runtime& runtime, const std::string& bucket)
        : session(runtime), kv(open_bucket(session.js, bucket)) {}
    Session session;
    nats::KvBucket kv;
};

// What a key command needs before connecting: a valid bucket name and key, and for a write, a
// value to read (an argument, or stdin that is not a terminal). Returns the bucket name.
const std::string& checked_bucket(const KvKeyOptions& options, Runtime& runtime, bool writes) {
    require_bucket(options.bucket);
    require_key(options.key);
    if (writes) {
        require_value_source(options, runtime);
    }
    return options.bucket;
}

// A key command's session: its names checked before connecting, then the bucket opened.
struct KeySession : BucketSession {
    KeySession(const KvKeyOptions& options, Runtime& runtime, bool writes = false)
        : BucketSession(runtime, checked_bucket(options, runtime, writes)) {}

    // put, create, update: the value, read once connected and checked against the bucket's and
    // the server's limits.
    std::string new_value(const KvKeyOptions& options, Runtime& runtime) {
        std::string value = value_of(options, runtime, session.js);
        check_value_size(session.js, options.bucket, value.size());
        return value;
    }
};

// A compare-and-set rejection, naming the expected and the current revision.
[[noreturn]] void
throw_stale(nats::KvBucket& kv, const std::string& key, std::uint64_t expected, Duration timeout) {
    const auto history = kv.history(key, timeout);
    const std::string current =
        history.empty() ? std::string("none") : std::to_string(history.back().revision);
    throw Error(ExitCode::failure,
                "update of " + in_quotes(key) + " rejected: the key changed (expected revision "
                    + std::to_string(expected) + ", current " + current + "); nothing was written",
                "read the latest value with `natty kv get " + kv.name() + " " + key
                    + "` and retry with its revision");
}

} // namespace

void run_kv_put(const KvKeyOptions& options, Runtime& runtime) {
    KeySession session(options, runtime, /*writes=*/true);
    const std::string value = session.new_value(options, runtime);
    auto& kv = session.kv;
    print_revision(runtime, options, kv.put(options.key, value));
}

void run_kv_create(const KvKeyOptions& options, Runtime& runtime) {
    KeySession session(options, runtime, /*writes=*/true);
    const std::string value = session.new_value(options, runtime);
    auto& kv = session.kv;
    const auto revision = kv.create(options.key, value);
    if (!revision) {
        const auto current = kv.get(options.key);
        throw Error(ExitCode::failure,
                    "key " + in_quotes(options.key) + " already exists in bucket "
                        + in_quotes(options.bucket)
                        + (current ? " (revision " + std::to_string(current->revision) + ")" : "")
                        + "; nothing was written",
                    "use `natty kv update` with its revision, or `natty kv put` to overwrite");
    }
    print_revision(runtime, options, *revision);
}

void run_kv_update(const KvKeyOptions& options, Runtime& runtime) {
    KeySession session(options, runtime, /*writes=*/true);
    const std::string value = session.new_value(options, runtime);
    auto& kv = session.kv;
    const auto revision = kv.update(options.key, value, options.revision);
    if (!revision) {
        throw_stale(kv, options.key, options.revision, runtime.settings().timeout);
    }
    print_revision(runtime, options, *revision);
}

void run_kv_get(const KvKeyOptions& options, Runtime& runtime) {
    KeySession session(options, runtime);
    auto& kv = session.kv;
    const std::optional<std::uint64_t> revision =
        options.has_revision ? std::optional<std::uint64_t>(options.revision) : std::nullopt;
    auto record = kv.get(options.key, revision);
    if (!record || record->op != nats::KvOp::put) {
        throw_key_not_found(options.bucket, options.key, revision);
    }
    Io& io = runtime.io();
    if (options.raw) {
        io.out.write(record->value.data(), static_cast<std::streamsize>(record->value.size()));
    } else if (options.json) {
        output::write_json(io, kv_common::record_json(*record));
        return;
    } else {
        io.out << options.bucket << " > " << options.key << " revision: " << record->revision
               << " created @ " << local_date_time(record->created) << "\n\n";
        if (record->value.empty()) {
            io.out << "(empty value)\n";
        } else if (is_displayable_text(record->value)) {
            io.out << record->value;
            if (record->value.back() != '\n') {
                io.out << "\n";
            }
        } else {
            io.out << "(binary value, " << record->value.size() << " bytes, shown as base64; "
                   << "use --raw for the bytes)\n"
                   << output::base64_encode(record->value) << "\n";
        }
    }
    io.flush_out();
}

void run_kv_delete(const KvKeyOptions& options, Runtime& runtime) {
    KeySession session(options, runtime);
    auto& kv = session.kv;
    // A delete marker for a key that has no value would only hide a typo.
    if (!kv.get(options.key)) {
        throw_key_not_found(options.bucket, options.key, std::nullopt);
    }
    kv.del(options.key);
}

void run_kv_purge(const KvKeyOptions& options, Runtime& runtime) {
    KeySession session(options, runtime);
    auto& kv = session.kv;
    // Purging a deleted key clears its history; a key that never existed is a typo.
    if (kv.history(options.key, runtime.settings().timeout).empty()) {
        throw_key_not_found(options.bucket, options.key, std::nullopt);
    }
    kv.purge(options.key);
}

void run_kv_history(const KvKeyOptions& options, Runtime& runtime) {
    KeySession session(options, runtime);
    auto& kv = session.kv;
    const auto history = kv.history(options.key, runtime.settings().timeout);
    if (history.empty()) {
        throw_key_not_found(options.bucket, options.key, std::nullopt);
    }
    Io& io = runtime.io();
    if (options.json) {
        nlohmann::json doc = nlohmann::json::array();
        for (const auto& r : history) {
            doc.push_back(kv_common::record_json(r));
        }
        output::write_json(io, doc);
        return;
    }
    io.out << "History for " << options.bucket << " > " << options.key << "\n\n";
    output::Table table({"Key", "Revision", "Op", "Created", "Length", "Value"});
    for (const auto& r : history) {
        table.add({r.key,
                   std::to_string(r.revision),
                   nats::kv_op_name(r.op),
                   local_date_time(r.created),
                   std::to_string(r.value.size()),
                   r.op == nats::KvOp::put ? render_value_inline(r.value, 40) : ""});
    }
    table.render(io);
    io.flush_out();
}

void run_kv_revert(const KvKeyOptions& options, Runtime& runtime) {
    KeySession session(options, runtime);
    auto& kv = session.kv;
    const auto old = kv.get(options.key, options.revision);
    if (!old || old->op != nats::KvOp::put) {
        throw_key_not_found(options.bucket, options.key, options.revision);
    }
    check_value_size(session.session.js, options.bucket, old->value.size());
    const auto history = kv.history(options.key, runtime.settings().timeout);
    const std::uint64_t latest = history.empty() ? 0 : history.back().revision;
    const auto revision = kv.update(options.key, old->value, latest);
    if (!revision) {
        throw_stale(kv, options.key, latest, runtime.settings().timeout);
    }
    print_revision(runtime, options, *revision);
}

void run_kv_keys(const KvKeyOptions& options, Runtime& runtime) {
    require_bucket(options.bucket);
    const std::string filter = options.key.empty() ? ">" : options.key;
    kv_common::require_filter(filter);
    BucketSession session(runtime, options.bucket);
    auto& kv = session.kv;
    const auto keys = kv.keys(filter, runtime.settings().timeout);
    Io& io = runtime.io();
    if (options.json) {
        output::write_json(io, keys);
        return;
    }
    for (const auto& k : keys) {
        io.out << k << "\n";
    }
    if (keys.empty()) {
        io.note("natty: no keys found in bucket " + options.bucket);
    }
    io.flush_out();
}

} // namespace natty
