#pragma once

#include <natty/commands/runtime.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace natty {

struct ReplyOptions {
    std::string subject;
    std::optional<std::string> body; // template; {{Request}} is the request body
    bool echo = false;               // default when neither body nor --command is given
    std::string command;             // "cmd {{1}}": run per request, reply with its output
    std::string queue = "NATS-RPLY-22";
    std::optional<std::int64_t> count;
    std::string sleep;                // random delay in [0, sleep) before each reply
    std::vector<std::string> headers; // "Key:Value"
    bool no_templates = false;
};

// Registers `natty reply`.
void setup_reply(CLI::App& app, Runtime& runtime);

// Answers requests until --count or Ctrl-C (which drains in-flight requests and exits 0).
void run_reply(const ReplyOptions& options, Runtime& runtime);

} // namespace natty
