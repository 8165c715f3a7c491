#pragma once

#include <natty/commands/runtime.hpp>

namespace natty {

// "natty 0.1.0 (nats.c 3.4.1, OpenSSL 3.0.x)"
std::string version_text();

// Runs natty with argv against the given I/O; returns the process exit code. Everything a
// command throws is caught here and turned into one `natty: error:` line (plus a hint).
int run_cli(int argc, const char* const* argv, Io& io, Environment env);

} // namespace natty
