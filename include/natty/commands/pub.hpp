#pragma once

#include <natty/commands/runtime.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace natty {

struct PubOptions {
    std::string subject;
    std::optional<std::string> body;
    std::string reply;
    std::vector<std::string> headers; // "Key:Value"
    std::int64_t count = 1;
    std::string sleep; // Go duration between messages
    bool force_stdin = false;
    std::string send_on = "eof"; // "eof" or "newline"
    bool jetstream = false;
    bool quiet = false;
    bool no_templates = false;
};

// Registers `natty pub` (alias publish).
void setup_pub(CLI::App& app, Runtime& runtime);

// Publishes; throws UsageError before connecting for bad subjects, headers, templates or
// counts, and NatsError (exit 5) when the server refuses the publish.
void run_pub(const PubOptions& options, Runtime& runtime);

} // namespace natty
