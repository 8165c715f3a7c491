#pragma once

#include <natty/commands/runtime.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace natty {

// Flags of every `bench` subcommand. --msgs and --duration: with neither, 100,000 messages;
// with one, that limit; with both, whichever is reached first.
struct BenchOptions {
    std::string subject;              // pub, sub, request, reply
    std::int64_t clients = 1;         // connections, each on its own thread
    std::optional<std::int64_t> msgs; // pub, request, kv: in total; sub: per subscriber
    std::optional<std::string> size;  // bytes or 1KiB...; default 128 (reply: echo)
    std::string duration;             // Go duration; "" = until --msgs
    bool json = false;
    std::string csv; // file to write CSV to; "-" = stdout instead of text
    bool no_progress = false;
    std::string bucket = "benchbucket"; // kv
    std::string storage = "file";       // kv: for a bucket it creates
};

// Registers `natty bench pub|sub|request|reply|kv`.
void setup_bench(CLI::App& app, Runtime& runtime);

// Each runs until --msgs or --duration, then prints the report (text, --json or --csv). A
// SIGINT or SIGTERM stops the clients, prints what was measured so far and exits 130/143.
void run_bench_pub(const BenchOptions& options, Runtime& runtime);
void run_bench_sub(const BenchOptions& options, Runtime& runtime);
void run_bench_request(const BenchOptions& options, Runtime& runtime);
void run_bench_reply(const BenchOptions& options, Runtime& runtime);
void run_bench_kv(const BenchOptions& options, Runtime& runtime);

} // namespace natty
