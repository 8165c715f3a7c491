#pragma once

#include <natty/commands/runtime.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace natty {

struct RequestOptions {
    std::string subject;
    std::optional<std::string> body;
    std::vector<std::string> headers;
    std::int64_t count = 1;   // sequential requests
    std::int64_t replies = 1; // replies to collect per request; 0 = until --timeout
    std::string reply_timeout = "300ms";
    bool raw = false;
    bool json = false;
    bool force_stdin = false;
    bool no_templates = false;
};

// Registers `natty request` (alias req).
void setup_request(CLI::App& app, Runtime& runtime);

// Sends requests and prints replies. No responders exit 7, no reply within --timeout exit 8,
// a reply carrying a Nats-Service-Error header exit 1.
void run_request(const RequestOptions& options, Runtime& runtime);

} // namespace natty
