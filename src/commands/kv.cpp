// `natty kv`: the subcommands' flags, the key, filter, bucket and size rules, and the helpers
// shared by kv_bucket.cpp, kv_entry.cpp and kv_watch.cpp.

#include "kv_common.hpp"

#include <natty/commands/kv.hpp>
#include <natty/commands/options.hpp>
#include <natty/error.hpp>
#include <natty/nats/jetstream.hpp>
#include <natty/nats/kv.hpp>
#include <natty/output/output.hpp>
#include <natty/util/time.hpp>
#include <natty/util/utf8.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <ctime>
#include <iomanip>
#include <limits>
#include <memory>
#include <sstream>
#include <utility>

namespace natty {
namespace {

using kv_common::in_quotes;

// How many existing buckets a "bucket not found" hint names.
constexpr std::size_t k_buckets_named = 10;

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

void require_key(std::string_view key) {
    if (const std::string problem = kv_key_problem(key); !problem.empty()) {
        throw UsageError("invalid key: " + problem,
                         "keys are letters, digits and - / _ = separated by single dots");
    }
}

void require_filter(std::string_view filter) {
    if (const std::string problem = kv_filter_problem(filter); !problem.empty()) {
        throw UsageError("invalid key pattern: " + problem,
                         "use keys with * for one token and > for the rest, e.g. users.*");
    }
}

nlohmann::json record_json(const nats::KvRecord& r) {
    nlohmann::json j = {{"bucket", r.bucket},
                        {"key", r.key},
                        {"revision", r.revision},
                        {"operation", nats::kv_op_name(r.op)},
                        {"created", rfc3339_nano_utc(r.created)},
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

} // namespace kv_common

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

namespace {

// Revisions are stream sequences, far below 2^63-1; larger values (CLI11 alone saturates
// 99999999999999999999 to 2^64-1) came back from the server as a malformed request.
constexpr auto k_max_revision =
    static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

CLI::Validator revision_check(std::int64_t min) {
    return whole_number({min, k_max_revision});
}

void setup_kv_bucket_commands(CLI::App& kv, Runtime& runtime) {
    auto add_opts = std::make_shared<KvAddOptions>();
    auto* add = kv.add_subcommand("add", "Create a bucket");
    add->alias("new");
    add->add_option("bucket", add_opts->bucket, "Bucket name")->required();
    add->add_option("--description", add_opts->description, "Description");
    add->add_option("--history", add_opts->history, "Revisions kept per key, 1..64 (default 1)")
        ->transform(whole_number({1, 64}));
    add->add_option("--ttl", add_opts->ttl, "Expire values after this long, e.g. 1h, 7d");
    add->add_option("--storage", add_opts->storage, "file or memory (default file)");
    add->add_option("--replicas", add_opts->replicas, "Replicas in a cluster, 1..5 (default 1)")
        ->transform(whole_number({1, 5}));
    add->add_option("--max-value-size",
                    add_opts->max_value_size,
                    "Largest value, e.g. 1KB, 1MiB (default unlimited)");
    add->add_option("--max-bucket-size",
                    add_opts->max_bucket_size,
                    "Largest bucket, e.g. 100MB, 1GiB (default unlimited)");
    add->add_flag("-j,--json", add_opts->json, "JSON output");
    add->callback([add_opts, &runtime] { run_kv_add(*add_opts, runtime); });

    auto ls_opts = std::make_shared<KvBucketOptions>();
    auto* ls = kv.add_subcommand("ls", "List buckets");
    ls->alias("list");
    ls->add_flag("-n,--names", ls_opts->names, "Only names, one per line");
    ls->add_flag("-j,--json", ls_opts->json, "JSON output");
    ls->callback([ls_opts, &runtime] { run_kv_list(*ls_opts, runtime); });

    auto info_opts = std::make_shared<KvBucketOptions>();
    auto* info = kv.add_subcommand("info", "Show a bucket's configuration, usage and placement");
    info->alias("status");
    info->add_option("bucket", info_opts->bucket, "Bucket name")->required();
    info->add_flag("-j,--json", info_opts->json, "JSON output");
    info->callback([info_opts, &runtime] { run_kv_info(*info_opts, runtime); });

    auto rm_opts = std::make_shared<KvBucketOptions>();
    auto* rm = kv.add_subcommand("rm", "Delete a bucket and all its values (asks first)");
    rm->add_option("bucket", rm_opts->bucket, "Bucket name")->required();
    rm->add_flag("-f,--force", rm_opts->force, "Do not ask (needed without a terminal)");
    rm->callback([rm_opts, &runtime] { run_kv_remove(*rm_opts, runtime); });

    auto compact_opts = std::make_shared<KvBucketOptions>();
    auto* compact = kv.add_subcommand("compact", "Remove deleted keys and their history");
    compact->add_option("bucket", compact_opts->bucket, "Bucket name")->required();
    compact->add_flag("-f,--force", compact_opts->force, "Do not ask (needed without a terminal)");
    compact->add_flag("-j,--json", compact_opts->json, "JSON output");
    compact->callback([compact_opts, &runtime] { run_kv_compact(*compact_opts, runtime); });
}

// Registers a subcommand on BUCKET KEY...; the caller adds its other arguments and flags.
std::pair<CLI::App*, std::shared_ptr<KvKeyOptions>> key_command(CLI::App& kv,
                                                                Runtime& runtime,
                                                                const std::string& name,
                                                                const std::string& help,
                                                                void (*run)(const KvKeyOptions&,
                                                                            Runtime&)) {
    auto opts = std::make_shared<KvKeyOptions>();
    auto* cmd = kv.add_subcommand(name, help);
    cmd->add_option("bucket", opts->bucket, "Bucket name")->required();
    cmd->callback([opts, run, &runtime] { run(*opts, runtime); });
    return {cmd, opts};
}

// put, create and update: the commands that write a given value.
void setup_kv_write_commands(CLI::App& kv, Runtime& runtime) {
    auto [put, put_opts] =
        key_command(kv, runtime, "put", "Set a key; prints the new revision", run_kv_put);
    put->add_option("key", put_opts->key, "Key")->required();
    put->add_option("value", put_opts->value, "Value (default: read stdin)");
    put->add_flag("-j,--json", put_opts->json, "JSON output");

    auto [create, create_opts] =
        key_command(kv,
                    runtime,
                    "create",
                    "Set a key only if it has no value; prints the revision",
                    run_kv_create);
    create->add_option("key", create_opts->key, "Key")->required();
    create->add_option("value", create_opts->value, "Value (default: read stdin)");
    create->add_flag("-j,--json", create_opts->json, "JSON output");

    auto [update, update_opts] =
        key_command(kv,
                    runtime,
                    "update",
                    "Set a key only if REVISION is still its latest (compare-and-set)",
                    run_kv_update);
    update->add_option("key", update_opts->key, "Key")->required();
    update->add_option("value", update_opts->value, "Value")->required();
    update->add_option("revision", update_opts->revision, "Expected latest revision")
        ->required()
        ->transform(revision_check(0));
    update->add_flag("-j,--json", update_opts->json, "JSON output");
}

// get, del, purge, history, revert and keys.
void setup_kv_key_commands(CLI::App& kv, Runtime& runtime) {
    auto [get, get_opts] = key_command(kv, runtime, "get", "Show a key's value", run_kv_get);
    get->add_option("key", get_opts->key, "Key")->required();
    get->add_option("--revision", get_opts->revision, "Show this revision instead of the latest")
        ->transform(revision_check(1))
        ->each([o = get_opts.get()](const std::string&) { o->has_revision = true; });
    get->add_flag("--raw", get_opts->raw, "Write the value's exact bytes, nothing else");
    get->add_flag("-j,--json", get_opts->json, "JSON output");

    auto [del, del_opts] =
        key_command(kv, runtime, "del", "Delete a key (its history is kept)", run_kv_delete);
    del->add_option("key", del_opts->key, "Key")->required();

    auto [purge, purge_opts] =
        key_command(kv, runtime, "purge", "Delete a key and all its history", run_kv_purge);
    purge->add_option("key", purge_opts->key, "Key")->required();

    auto [history, history_opts] =
        key_command(kv, runtime, "history", "List the revisions kept for a key", run_kv_history);
    history->add_option("key", history_opts->key, "Key")->required();
    history->add_flag("-j,--json", history_opts->json, "JSON output");

    auto [revert, revert_opts] = key_command(
        kv, runtime, "revert", "Write an earlier revision's value again", run_kv_revert);
    revert->add_option("key", revert_opts->key, "Key")->required();
    revert->add_option("revision", revert_opts->revision, "Revision to restore")
        ->required()
        ->transform(revision_check(1));
    revert->add_flag("-j,--json", revert_opts->json, "JSON output");

    auto [keys, keys_opts] =
        key_command(kv, runtime, "keys", "List keys that have a value", run_kv_keys);
    keys->add_option("filter", keys_opts->key, "Key filter with * and > (default >)");
    keys->add_flag("-j,--json", keys_opts->json, "JSON array output");
}

void setup_kv_watch(CLI::App& kv, Runtime& runtime) {
    auto watch_opts = std::make_shared<KvWatchOptions>();
    auto* watch = kv.add_subcommand(
        "watch", "Print current values, then every change; resumes after reconnects");
    watch->add_option("bucket", watch_opts->bucket, "Bucket name")->required();
    watch->add_option("filter", watch_opts->filter, "Key filter with * and > (default >)");
    watch->add_flag("--updates", watch_opts->updates_only, "Only changes made from now on");
    watch->add_flag("--history", watch_opts->history, "Every revision kept, not only the latest");
    watch->add_flag("--no-deletes", watch_opts->no_deletes, "Hide deletes and purges");
    watch->add_option("--revision", watch_opts->revision, "Start at this revision (resume)")
        ->transform(revision_check(1));
    watch->add_flag("-j,--json", watch_opts->json, "JSON Lines output, one object per change");
    watch->callback([watch_opts, &runtime] { run_kv_watch(*watch_opts, runtime); });
}

} // namespace

void setup_kv(CLI::App& app, Runtime& runtime) {
    auto* kv = app.add_subcommand("kv", "Inspect, change and watch JetStream key-value buckets");
    kv->require_subcommand(1);
    setup_kv_bucket_commands(*kv, runtime);
    setup_kv_write_commands(*kv, runtime);
    setup_kv_key_commands(*kv, runtime);
    setup_kv_watch(*kv, runtime);
}

} // namespace natty
