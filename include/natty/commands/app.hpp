#pragma once

#include <natty/commands/runtime.hpp>

namespace natty {

// "natty 0.1.0 (nats.c 3.4.1, OpenSSL 3.0.x)"
std::string version_text();

// Runs natty with `args` (without the program name) against `io` and its environment; returns
// the process exit code. Everything a command throws is caught here and turned into one
// `natty: error:` line (plus a hint). main() calls it; unit tests call it in-process.
int run_cli(const std::vector<std::string>& args, Io& io);

} // namespace natty
