#pragma once

#include <natty/commands/runtime.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace natty {

struct SubOptions {
    std::vector<std::string> subjects;
    std::string queue;
    std::optional<std::int64_t> count; // stop (exit 0) after this many messages
    std::string wait;                  // stop (exit 0) after this long without messages
    bool raw = false;
    bool headers_only = false;
    bool subjects_only = false;
    bool timestamp = false;
    bool delta_time = false;
    bool match_replies = false;
    bool inbox = false;
    bool json = false;
    std::vector<std::string> ignore;
    std::string dump; // directory, or "-" for JSON + NUL on stdout
    // JetStream
    std::string stream;
    bool all = false;
    bool new_only = false;
    bool last = false;
    std::string since;
    std::optional<std::uint64_t> start_sequence;
};

// Registers `natty sub` (alias subscribe).
void setup_sub(CLI::App& app, Runtime& runtime);

// Subscribes and prints until --count, --wait, SIGINT/SIGTERM (summary on stderr, exit 130)
// or the reader of stdout goes away (exit 0).
void run_sub(const SubOptions& options, Runtime& runtime);

} // namespace natty
