#pragma once

#include <natty/commands/runtime.hpp>

#include <string>

namespace natty {

struct RttOptions {
    std::string iterations = "5"; // text, so a bad value is a clear usage error
    bool json = false;
};

// Registers `natty rtt [ITERATIONS]`.
void setup_rtt(CLI::App& app, Runtime& runtime);

// Measures PING/PONG round trips to every resolved address of every server URL; exits with the
// first failure's code after reporting all targets.
void run_rtt(const RttOptions& options, Runtime& runtime);

} // namespace natty
