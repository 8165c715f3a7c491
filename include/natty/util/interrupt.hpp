#pragma once

#include <natty/error.hpp>

#include <chrono>

namespace natty {

// Catches SIGINT and SIGTERM for a long-running command while it lives, so the command can
// drain, print its summary and exit 130 or 143 (or 0) instead of dying mid-write. Restores the
// previous handlers on destruction. Commands poll requested() between bounded waits.
class InterruptGuard {
public:
    InterruptGuard();
    ~InterruptGuard();
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;

    bool requested() const;
    int signal_number() const; // 0 when none was received
    // What the process exits with after the signal: 143 for SIGTERM, else 130 (as a shell
    // reports a command killed by it).
    ExitCode exit_code() const;

    // Sleeps up to `duration`, returning early (true) when a signal arrives.
    bool wait_for(std::chrono::milliseconds duration) const;
};

} // namespace natty
