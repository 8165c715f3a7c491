#pragma once

#include <natty/error.hpp>
#include <natty/util/environment.hpp>

#include <functional>
#include <string>
#include <vector>

namespace natty {

// What a child process is started with.
struct ChildSpec {
    // argv[0] is a path, or a program name looked up in env's PATH (not natty's own).
    std::vector<std::string> argv;
    // Exactly the child's environment.
    Environment env;
    // Signals the child starts with at their default disposition (natty catches some of them).
    std::vector<int> default_signals;
    // stdout and stderr into one pipe that run_child() collects, stdin from /dev/null; otherwise
    // the child shares natty's terminal and streams.
    bool capture_output = false;
};

struct ChildResult {
    int status = 0;     // exit status, or 128 + the signal that ended it
    std::string output; // stdout and stderr interleaved, with capture_output
};

// The child could not be started; errno_value says why (ENOENT, EACCES, ...).
class SpawnError : public Error {
public:
    SpawnError(const std::string& program, int errno_value);
    int errno_value() const { return m_errno; }
    const std::string& reason() const { return m_reason; }

private:
    int m_errno;
    std::string m_reason;
};

// Runs a child to its end. It is started with posix_spawn rather than fork(): natty has library
// threads, and a signal sent to the child at any moment, even before exec, reaches the program.
// `stop` is asked every few milliseconds; once it says true the child gets SIGTERM (once) and is
// still waited for. Throws SpawnError when the program cannot be started.
ChildResult run_child(const ChildSpec& spec, const std::function<bool()>& stop);

} // namespace natty
