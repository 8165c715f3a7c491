// `server check jetstream`: the account's JetStream memory and storage use against its limits
// (or caps given by flag when it has none).

#include "server_check.hpp"

#include <natty/commands/kv.hpp>
#include <natty/nats/jetstream.hpp>

#include <cstdint>
#include <cstdio>

namespace natty {
namespace {

using output::CheckResult;
using output::CheckStatus;
using output::Direction;

std::string percent_text(double pct) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", pct);
    return buf;
}

// A cap given by flag for when the account reports none: "" or -1 = not given; malformed or
// zero = UNKNOWN naming the flag.
std::optional<std::int64_t>
size_flag(const std::string& text, const std::string& flag, CheckResult& result) {
    if (text.empty()) {
        return std::nullopt;
    }
    try {
        const std::int64_t bytes = parse_size(text, flag);
        if (bytes == 0) {
            result.unknown(flag + " must be more than 0 bytes (-1 = not given)");
            return std::nullopt;
        }
        return bytes < 0 ? std::nullopt : std::optional<std::int64_t>(bytes);
    } catch (const Error& e) {
        result.unknown(server_check::unknown_text(e));
        return std::nullopt;
    }
}

// One JetStream resource: its use against the account limit or, when the account has none,
// against the cap given by `cap_flag` (the server's own limit, which nats-server does not tell
// an ordinary user).
struct UsageCheck {
    std::string label;      // "memory", "storage"
    std::string cap_flag;   // "--mem-limit"
    std::string server_key; // "max_memory_store"
    std::uint64_t used = 0;
    std::int64_t account_limit = -1; // <= 0: none
    std::optional<std::int64_t> flag_limit{};
    std::optional<double> warn{}, crit{};
};

void check_usage(CheckResult& result, const UsageCheck& usage) {
    result.perf({usage.label,
                 static_cast<double>(usage.used),
                 "B",
                 {},
                 {},
                 "JetStream " + usage.label + " in use (bytes)"});
    const bool account = usage.account_limit > 0;
    if (!account && !usage.flag_limit) {
        result.ok(usage.label + " " + std::to_string(usage.used)
                  + " bytes used, no account limit (give " + usage.cap_flag + " SIZE, the server's "
                  + usage.server_key + ", to check against it)");
        return;
    }
    const std::int64_t limit = account ? usage.account_limit : *usage.flag_limit;
    const double pct = static_cast<double>(usage.used) * 100.0 / static_cast<double>(limit);
    const CheckStatus status =
        output::classify(pct, usage.warn, usage.crit, Direction::higher_is_worse);
    std::string text =
        usage.label + " using " + percent_text(pct) + " of " + std::to_string(limit) + " bytes";
    std::string notes;
    if (status != CheckStatus::ok) {
        notes = "threshold "
                + percent_text(status == CheckStatus::critical ? *usage.crit : *usage.warn);
    }
    if (!account) {
        notes += (notes.empty() ? "" : "; ") + ("limit from " + usage.cap_flag)
                 + ", the account has none";
    }
    if (!notes.empty()) {
        text += " (" + notes + ")";
    }
    result.add(status, text);
    result.perf({usage.label + "_pct",
                 pct,
                 "%",
                 usage.warn,
                 usage.crit,
                 "JetStream " + usage.label + " in use, percent of the limit"});
}

void check_jetstream(const JetStreamCheckOptions& options, Runtime& runtime, CheckResult& result) {
    using server_check::number_threshold;
    UsageCheck memory{
        .label = "memory", .cap_flag = "--mem-limit", .server_key = "max_memory_store"};
    UsageCheck storage{
        .label = "storage", .cap_flag = "--store-limit", .server_key = "max_file_store"};
    memory.warn = number_threshold(options.mem_warn, "--mem-warn", result);
    memory.crit = number_threshold(options.mem_critical, "--mem-critical", result);
    storage.warn = number_threshold(options.store_warn, "--store-warn", result);
    storage.crit = number_threshold(options.store_critical, "--store-critical", result);
    memory.flag_limit = size_flag(options.mem_limit, "--mem-limit", result);
    storage.flag_limit = size_flag(options.store_limit, "--store-limit", result);
    auto conn = server_check::connect_for_check(runtime, result);
    if (!conn) {
        return;
    }
    try {
        nats::JetStream js(*conn);
        const auto info = js.account();
        memory.used = info.memory;
        memory.account_limit = info.limits.max_memory;
        storage.used = info.store;
        storage.account_limit = info.limits.max_store;
        check_usage(result, memory);
        check_usage(result, storage);
        result.perf(
            {"streams", static_cast<double>(info.streams), "", {}, {}, "Streams in the account"});
        result.perf({"consumers",
                     static_cast<double>(info.consumers),
                     "",
                     {},
                     {},
                     "Consumers in the account"});
    } catch (const Error& e) {
        result.critical(e.what());
    }
}

} // namespace

void run_check_jetstream(const JetStreamCheckOptions& options, Runtime& runtime) {
    server_check::run_check(
        {"JetStream", "jetstream"}, options.output, runtime, [&](CheckResult& result) {
            check_jetstream(options, runtime, result);
        });
}

} // namespace natty
