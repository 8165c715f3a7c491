#include "kv_common.hpp"

#include <natty/commands/kv.hpp>
#include <natty/error.hpp>
#include <natty/nats/jetstream.hpp>
#include <natty/nats/kv.hpp>
#include <natty/output/output.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <iomanip>
#include <iterator>
#include <sstream>
#include <stdexcept>

namespace natty {
namespace {

using kv_common::bucket_info;
using kv_common::format_time;
using kv_common::in_quotes;
using kv_common::require_bucket;
using kv_common::Session;

constexpr std::string_view k_stream_prefix = "KV_";
// How many existing buckets a "bucket not found" hint names.
constexpr std::size_t k_buckets_named = 10;

bool is_key_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
           || c == '/' || c == '_' || c == '=' || c == '.';
}

// Checks tokens separated by dots; `wildcards` allows `*` tokens and a final `>`.
std::string dotted_problem(std::string_view text, bool wildcards, std::string_view what) {
    if (text.empty()) {
        return std::string(what) + " is empty";
    }
    if (text.front() == '.' || text.back() == '.') {
        return std::string(what) + " " + in_quotes(text) + " starts or ends with a dot";
    }
    if (text.find("..") != std::string_view::npos) {
        return std::string(what) + " " + in_quotes(text) + " has an empty token (\"..\")";
    }
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t end = std::min(text.find('.', start), text.size());
        const std::string_view token = text.substr(start, end - start);
        const bool last = end == text.size();
        if (wildcards && (token == "*" || (token == ">" && last))) {
            start = end + 1;
            continue;
        }
        for (const char c : token) {
            if (!is_key_char(c)) {
                return std::string(what) + " " + in_quotes(text) + " contains "
                       + (c == ' ' ? std::string("a space") : "'" + std::string(1, c) + "'")
                       + "; keys may use letters, digits and - / _ = .";
            }
        }
        start = end + 1;
    }
    return {};
}

void require_key(std::string_view key) {
    if (const std::string problem = kv_key_problem(key); !problem.empty()) {
        throw UsageError("invalid key: " + problem,
                         "keys are letters, digits and - / _ = separated by single dots");
    }
}

std::string format_rfc3339(std::chrono::system_clock::time_point t) {
    return output::rfc3339_nano_utc(t);
}

[[noreturn]] void throw_bucket_not_found(nats::JetStream& js, const std::string& bucket) {
    std::vector<std::string> names;
    try {
        names = nats::kv_bucket_names(js);
    } catch (const Error&) {
        // The hint is a courtesy: the error stays "not found" even if listing fails.
    }
    std::string hint = "there are no buckets here; create it with `natty kv add " + bucket + "`";
    if (!names.empty()) {
        hint = "buckets here: ";
        const std::size_t shown = std::min(names.size(), k_buckets_named);
        for (std::size_t i = 0; i < shown; ++i) {
            hint += (i == 0 ? "" : ", ") + names[i];
        }
        if (names.size() > shown) {
            hint += " and " + std::to_string(names.size() - shown) + " more (natty kv ls --names)";
        }
    }
    throw Error(ExitCode::not_found, "bucket " + in_quotes(bucket) + " not found", hint);
}

} // namespace

namespace kv_common {

std::string in_quotes(std::string_view s) {
    return "\"" + std::string(s) + "\"";
}

void require_bucket(std::string_view bucket) {
    if (const std::string problem = kv_bucket_problem(bucket); !problem.empty()) {
        throw UsageError("invalid bucket name: " + problem,
                         "bucket names are letters, digits, - and _");
    }
}

void require_filter(std::string_view filter) {
    if (const std::string problem = kv_filter_problem(filter); !problem.empty()) {
        throw UsageError("invalid key pattern: " + problem,
                         "use keys with * for one token and > for the rest, e.g. users.*");
    }
}

std::string format_time(std::chrono::system_clock::time_point t) {
    const auto secs = static_cast<std::time_t>(
        std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
    std::tm tm{};
    localtime_r(&secs, &tm);
    std::ostringstream s;
    s << std::put_time(&tm, "%Y-%m-%d %H:%M:%S");
    return s.str();
}

nlohmann::json record_json(const nats::KvRecord& r) {
    nlohmann::json j = {{"bucket", r.bucket},
                        {"key", r.key},
                        {"revision", r.revision},
                        {"operation", nats::kv_op_name(r.op)},
                        {"created", format_rfc3339(r.created)},
                        {"length", r.value.size()}};
    output::put_payload(j, r.value);
    return j;
}

nats::StreamInfo bucket_info(nats::JetStream& js, const std::string& bucket) {
    auto info = nats::kv_bucket_info(js, bucket);
    if (!info) {
        throw_bucket_not_found(js, bucket);
    }
    return std::move(*info);
}

} // namespace kv_common

namespace {

nats::KvBucket open_bucket(nats::JetStream& js, const std::string& bucket) {
    try {
        return nats::KvBucket::open(js, bucket);
    } catch (const nats::NatsError& e) {
        if (e.not_found()) {
            throw_bucket_not_found(js, bucket);
        }
        throw;
    }
}

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

// The value argument, or all of stdin when it is absent (never waiting on a terminal).
std::string value_of(const KvKeyOptions& options, Runtime& runtime) {
    if (options.value) {
        return *options.value;
    }
    if (runtime.io().stdin_is_tty) {
        throw UsageError("no value given and stdin is a terminal",
                         "give the value as an argument or pipe it in, e.g. `echo v | natty kv "
                         "put B K`");
    }
    std::string data((std::istreambuf_iterator<char>(runtime.io().in)),
                     std::istreambuf_iterator<char>());
    return data;
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

// Asks "question [y/N]" on a terminal; without one, `force` must have been given.
bool confirm(Runtime& runtime, const std::string& question) {
    runtime.io().err << question << " [y/N] " << std::flush;
    std::string answer;
    std::getline(runtime.io().in, answer);
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

// CLI11 would read "-1" into a std::uint64_t as 18446744073709551615, so revisions are checked
// as text: digits only, at least `min`.
CLI::Validator revision_check(std::uint64_t min) {
    return CLI::Validator(
        [min](std::string& text) -> std::string {
            const std::string want = "a revision is a whole number from " + std::to_string(min);
            if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) {
                return want + ", not " + in_quotes(text);
            }
            try {
                if (std::stoull(text) >= min) {
                    return {};
                }
            } catch (const std::out_of_range&) {
                return want + " to 18446744073709551615, not " + text;
            }
            return want + ", not " + text;
        },
        "");
}

std::string limit_text(std::int64_t v, bool bytes) {
    if (v <= 0) {
        return "unlimited";
    }
    return bytes ? output::human_bytes(static_cast<std::uint64_t>(v)) : std::to_string(v);
}

std::string bucket_name(const nats::StreamInfo& si) {
    return si.config.name.substr(k_stream_prefix.size());
}

nlohmann::json bucket_json(const nats::StreamInfo& si) {
    const nats::StreamConfig& c = si.config;
    nlohmann::json j = {
        {"bucket", bucket_name(si)},
        {"stream", c.name},
        {"description", c.description},
        {"created", format_rfc3339(si.created)},
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
         si.state.last_time ? nlohmann::json(format_rfc3339(*si.state.last_time))
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

void render_bucket(Io& io, const nats::StreamInfo& si) {
    const nats::StreamConfig& c = si.config;
    const std::string bucket = bucket_name(si);
    io.out << "Information for Key-Value Store Bucket " << bucket << " created "
           << format_time(si.created) << "\n\nConfiguration:\n\n";
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

// A connection with its JetStream context and one opened bucket: what key commands work on.
struct BucketSession {
    BucketSession(Runtime& runtime, const std::string& bucket)
        : session(runtime), kv(open_bucket(session.js, bucket)) {}
    Session session;
    nats::KvBucket kv;
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

std::string kv_key_problem(std::string_view key) {
    if (key.find_first_of("*>") != std::string_view::npos) {
        return "key " + in_quotes(key) + " contains a wildcard (* or >)";
    }
    return dotted_problem(key, false, "key");
}

std::string kv_filter_problem(std::string_view filter) {
    return dotted_problem(filter, true, "key filter");
}

std::string kv_bucket_problem(std::string_view name) {
    if (name.empty()) {
        return "bucket name is empty";
    }
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                        || c == '-' || c == '_';
        if (!ok) {
            return "bucket name " + in_quotes(name) + " contains '" + std::string(1, c) + "'";
        }
    }
    return {};
}

std::int64_t parse_size(std::string_view text, std::string_view what) {
    const std::string bad = std::string(what) + ": " + in_quotes(text) + " is not a size";
    const std::string hint = "use a byte count or a size like 512KB, 1MB, 1GiB (powers of 1024), "
                             "or -1 for unlimited";
    if (text == "-1" || text == "unlimited") {
        return -1;
    }
    std::size_t i = 0;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) {
        ++i;
    }
    if (i == 0) {
        throw UsageError(bad, hint);
    }
    double number = 0;
    try {
        std::size_t used = 0;
        number = std::stod(std::string(text.substr(0, i)), &used);
        if (used != i) {
            throw UsageError(bad, hint);
        }
    } catch (const std::logic_error&) {
        throw UsageError(bad, hint);
    }
    std::string unit(text.substr(i));
    while (!unit.empty() && unit.front() == ' ') {
        unit.erase(0, 1);
    }
    for (auto& c : unit) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    if (unit.size() == 3 && unit[1] == 'I' && unit[2] == 'B') {
        unit = unit.substr(0, 1);
    } else if (unit.size() == 2 && unit[1] == 'B') {
        unit = unit.substr(0, 1);
    }
    double factor = 1;
    if (unit.empty() || unit == "B") {
        factor = 1;
    } else if (unit == "K") {
        factor = 1024.0;
    } else if (unit == "M") {
        factor = 1024.0 * 1024;
    } else if (unit == "G") {
        factor = 1024.0 * 1024 * 1024;
    } else if (unit == "T") {
        factor = 1024.0 * 1024 * 1024 * 1024;
    } else {
        throw UsageError(bad, hint);
    }
    const double bytes = std::floor(number * factor);
    if (bytes > 9.0e18) {
        throw UsageError(bad + " (too large)", hint);
    }
    return static_cast<std::int64_t>(bytes);
}

bool is_displayable_text(std::string_view value) {
    if (!output::is_valid_utf8(value)) {
        return false;
    }
    return std::none_of(value.begin(), value.end(), [](char ch) {
        const auto c = static_cast<unsigned char>(ch);
        return (c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7f;
    });
}

std::string render_value_inline(std::string_view value, std::size_t max) {
    const bool text =
        is_displayable_text(value) && value.find_first_of("\n\r") == std::string_view::npos;
    std::string shown = text ? std::string(value) : "base64:" + output::base64_encode(value);
    if (max > 3 && shown.size() > max) {
        std::size_t cut = max - 3;
        // Never split a UTF-8 sequence.
        while (cut > 0 && (static_cast<unsigned char>(shown[cut]) & 0xC0) == 0x80) {
            --cut;
        }
        shown = shown.substr(0, cut) + "...";
    }
    return shown;
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
        output::write_json(runtime.io(), bucket_json(info));
    } else {
        render_bucket(runtime.io(), info);
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
            doc.push_back(bucket_json(b));
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
                   b.state.last_time ? format_time(*b.state.last_time) : "never"});
    }
    table.render(io);
    io.flush_out();
}

void run_kv_info(const KvBucketOptions& options, Runtime& runtime) {
    require_bucket(options.bucket);
    Session s(runtime);
    const auto info = bucket_info(s.js, options.bucket);
    if (options.json) {
        output::write_json(runtime.io(), bucket_json(info));
    } else {
        render_bucket(runtime.io(), info);
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

void run_kv_put(const KvKeyOptions& options, Runtime& runtime) {
    require_bucket(options.bucket);
    require_key(options.key);
    const std::string value = value_of(options, runtime);
    BucketSession session(runtime, options.bucket);
    check_value_size(session.session.js, options.bucket, value.size());
    auto& kv = session.kv;
    print_revision(runtime, options, kv.put(options.key, value));
}

void run_kv_create(const KvKeyOptions& options, Runtime& runtime) {
    require_bucket(options.bucket);
    require_key(options.key);
    const std::string value = value_of(options, runtime);
    BucketSession session(runtime, options.bucket);
    check_value_size(session.session.js, options.bucket, value.size());
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
    require_bucket(options.bucket);
    require_key(options.key);
    const std::string value = value_of(options, runtime);
    BucketSession session(runtime, options.bucket);
    check_value_size(session.session.js, options.bucket, value.size());
    auto& kv = session.kv;
    const auto revision = kv.update(options.key, value, options.revision);
    if (!revision) {
        throw_stale(kv, options.key, options.revision, runtime.settings().timeout);
    }
    print_revision(runtime, options, *revision);
}

void run_kv_get(const KvKeyOptions& options, Runtime& runtime) {
    require_bucket(options.bucket);
    require_key(options.key);
    BucketSession session(runtime, options.bucket);
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
               << " created @ " << format_time(record->created) << "\n\n";
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
    require_bucket(options.bucket);
    require_key(options.key);
    BucketSession session(runtime, options.bucket);
    auto& kv = session.kv;
    // A delete marker for a key that has no value would only hide a typo.
    if (!kv.get(options.key)) {
        throw_key_not_found(options.bucket, options.key, std::nullopt);
    }
    kv.del(options.key);
}

void run_kv_purge(const KvKeyOptions& options, Runtime& runtime) {
    require_bucket(options.bucket);
    require_key(options.key);
    BucketSession session(runtime, options.bucket);
    auto& kv = session.kv;
    // Purging a deleted key clears its history; a key that never existed is a typo.
    if (kv.history(options.key, runtime.settings().timeout).empty()) {
        throw_key_not_found(options.bucket, options.key, std::nullopt);
    }
    kv.purge(options.key);
}

void run_kv_history(const KvKeyOptions& options, Runtime& runtime) {
    require_bucket(options.bucket);
    require_key(options.key);
    BucketSession session(runtime, options.bucket);
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
                   format_time(r.created),
                   std::to_string(r.value.size()),
                   r.op == nats::KvOp::put ? render_value_inline(r.value, 40) : ""});
    }
    table.render(io);
    io.flush_out();
}

void run_kv_revert(const KvKeyOptions& options, Runtime& runtime) {
    require_bucket(options.bucket);
    require_key(options.key);
    BucketSession session(runtime, options.bucket);
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

void setup_kv(CLI::App& app, Runtime& runtime) {
    auto* kv = app.add_subcommand("kv", "Inspect, change and watch JetStream key-value buckets");
    kv->require_subcommand(1);

    auto add_opts = std::make_shared<KvAddOptions>();
    auto* add = kv->add_subcommand("add", "Create a bucket");
    add->alias("new");
    add->add_option("bucket", add_opts->bucket, "Bucket name")->required();
    add->add_option("--description", add_opts->description, "Description");
    add->add_option("--history", add_opts->history, "Revisions kept per key, 1..64 (default 1)");
    add->add_option("--ttl", add_opts->ttl, "Expire values after this long, e.g. 1h, 7d");
    add->add_option("--storage", add_opts->storage, "file or memory (default file)");
    add->add_option("--replicas", add_opts->replicas, "Replicas in a cluster, 1..5 (default 1)");
    add->add_option("--max-value-size",
                    add_opts->max_value_size,
                    "Largest value, e.g. 1KB, 1MiB (default unlimited)");
    add->add_option("--max-bucket-size",
                    add_opts->max_bucket_size,
                    "Largest bucket, e.g. 100MB, 1GiB (default unlimited)");
    add->add_flag("-j,--json", add_opts->json, "JSON output");
    add->callback([add_opts, &runtime] { run_kv_add(*add_opts, runtime); });

    auto ls_opts = std::make_shared<KvBucketOptions>();
    auto* ls = kv->add_subcommand("ls", "List buckets");
    ls->alias("list");
    ls->add_flag("-n,--names", ls_opts->names, "Only names, one per line");
    ls->add_flag("-j,--json", ls_opts->json, "JSON output");
    ls->callback([ls_opts, &runtime] { run_kv_list(*ls_opts, runtime); });

    auto info_opts = std::make_shared<KvBucketOptions>();
    auto* info = kv->add_subcommand("info", "Show a bucket's configuration, usage and placement");
    info->alias("status");
    info->add_option("bucket", info_opts->bucket, "Bucket name")->required();
    info->add_flag("-j,--json", info_opts->json, "JSON output");
    info->callback([info_opts, &runtime] { run_kv_info(*info_opts, runtime); });

    auto rm_opts = std::make_shared<KvBucketOptions>();
    auto* rm = kv->add_subcommand("rm", "Delete a bucket and all its values (asks first)");
    rm->add_option("bucket", rm_opts->bucket, "Bucket name")->required();
    rm->add_flag("-f,--force", rm_opts->force, "Do not ask (needed without a terminal)");
    rm->callback([rm_opts, &runtime] { run_kv_remove(*rm_opts, runtime); });

    auto compact_opts = std::make_shared<KvBucketOptions>();
    auto* compact = kv->add_subcommand("compact", "Remove deleted keys and their history");
    compact->add_option("bucket", compact_opts->bucket, "Bucket name")->required();
    compact->add_flag("-f,--force", compact_opts->force, "Do not ask (needed without a terminal)");
    compact->add_flag("-j,--json", compact_opts->json, "JSON output");
    compact->callback([compact_opts, &runtime] { run_kv_compact(*compact_opts, runtime); });

    // Registers a subcommand on BUCKET KEY with its extra arguments and flags.
    auto key_command = [&](const std::string& name,
                           const std::string& help,
                           void (*run)(const KvKeyOptions&, Runtime&)) {
        auto opts = std::make_shared<KvKeyOptions>();
        auto* cmd = kv->add_subcommand(name, help);
        cmd->add_option("bucket", opts->bucket, "Bucket name")->required();
        cmd->callback([opts, run, &runtime] { run(*opts, runtime); });
        return std::make_pair(cmd, opts);
    };

    auto [put, put_opts] = key_command("put", "Set a key; prints the new revision", run_kv_put);
    put->add_option("key", put_opts->key, "Key")->required();
    put->add_option("value", put_opts->value, "Value (default: read stdin)");
    put->add_flag("-j,--json", put_opts->json, "JSON output");

    auto [create, create_opts] = key_command(
        "create", "Set a key only if it has no value; prints the revision", run_kv_create);
    create->add_option("key", create_opts->key, "Key")->required();
    create->add_option("value", create_opts->value, "Value (default: read stdin)");
    create->add_flag("-j,--json", create_opts->json, "JSON output");

    auto [update, update_opts] =
        key_command("update",
                    "Set a key only if REVISION is still its latest (compare-and-set)",
                    run_kv_update);
    update->add_option("key", update_opts->key, "Key")->required();
    update->add_option("value", update_opts->value, "Value")->required();
    update->add_option("revision", update_opts->revision, "Expected latest revision")
        ->required()
        ->check(revision_check(0));
    update->add_flag("-j,--json", update_opts->json, "JSON output");

    auto [get, get_opts] = key_command("get", "Show a key's value", run_kv_get);
    get->add_option("key", get_opts->key, "Key")->required();
    get->add_option("--revision", get_opts->revision, "Show this revision instead of the latest")
        ->check(revision_check(1))
        ->each([o = get_opts.get()](const std::string&) { o->has_revision = true; });
    get->add_flag("--raw", get_opts->raw, "Write the value's exact bytes, nothing else");
    get->add_flag("-j,--json", get_opts->json, "JSON output");

    auto [del, del_opts] = key_command("del", "Delete a key (its history is kept)", run_kv_delete);
    del->add_option("key", del_opts->key, "Key")->required();

    auto [purge, purge_opts] =
        key_command("purge", "Delete a key and all its history", run_kv_purge);
    purge->add_option("key", purge_opts->key, "Key")->required();

    auto [history, history_opts] =
        key_command("history", "List the revisions kept for a key", run_kv_history);
    history->add_option("key", history_opts->key, "Key")->required();
    history->add_flag("-j,--json", history_opts->json, "JSON output");

    auto [revert, revert_opts] =
        key_command("revert", "Write an earlier revision's value again", run_kv_revert);
    revert->add_option("key", revert_opts->key, "Key")->required();
    revert->add_option("revision", revert_opts->revision, "Revision to restore")
        ->required()
        ->check(revision_check(1));
    revert->add_flag("-j,--json", revert_opts->json, "JSON output");

    auto [keys, keys_opts] = key_command("keys", "List keys that have a value", run_kv_keys);
    keys->add_option("filter", keys_opts->key, "Key filter with * and > (default >)");
    keys->add_flag("-j,--json", keys_opts->json, "JSON array output");

    auto watch_opts = std::make_shared<KvWatchOptions>();
    auto* watch = kv->add_subcommand(
        "watch", "Print current values, then every change; resumes after reconnects");
    watch->add_option("bucket", watch_opts->bucket, "Bucket name")->required();
    watch->add_option("filter", watch_opts->filter, "Key filter with * and > (default >)");
    watch->add_flag("--updates", watch_opts->updates_only, "Only changes made from now on");
    watch->add_flag("--history", watch_opts->history, "Every revision kept, not only the latest");
    watch->add_flag("--no-deletes", watch_opts->no_deletes, "Hide deletes and purges");
    watch->add_option("--revision", watch_opts->revision, "Start at this revision (resume)")
        ->check(revision_check(1));
    watch->add_flag("-j,--json", watch_opts->json, "JSON Lines output, one object per change");
    watch->callback([watch_opts, &runtime] { run_kv_watch(*watch_opts, runtime); });
}

} // namespace natty
