#pragma once

#include <stdexcept>
#include <string>

namespace natty {

// Process exit codes; documented in `natty --help`, man/natty.1 and README.md.
enum class ExitCode : int {
    ok = 0,
    failure = 1,       // runtime failure not covered below
    usage = 2,         // bad flags, arguments or input; nothing was sent
    config = 3,        // context or configuration file problem
    connect = 4,       // cannot reach or connect to any server
    denied = 5,        // authorization violation or permission denied
    tls = 6,           // TLS required, handshake or certificate verification failed
    not_found = 7,     // key, bucket, context target or no responders
    timeout = 8,       // an operation on an established connection timed out
    interrupted = 130, // SIGINT (Ctrl-C)
    terminated = 143,  // SIGTERM
};

constexpr int to_int(ExitCode code) { return static_cast<int>(code); }

// The one exception type that reaches main: what failed, why, and optionally what to do about it.
class Error : public std::runtime_error {
public:
    Error(ExitCode code, const std::string& message, std::string hint = {})
        : std::runtime_error(message), m_code(code), m_hint(std::move(hint)) {}

    ExitCode code() const { return m_code; }
    const std::string& hint() const { return m_hint; }

private:
    ExitCode m_code;
    std::string m_hint;
};

// Bad flags, arguments or input, detected before any connection is made.
class UsageError : public Error {
public:
    explicit UsageError(const std::string& message, std::string hint = {})
        : Error(ExitCode::usage, message, std::move(hint)) {}
};

// A context file or other configuration problem.
class ConfigError : public Error {
public:
    explicit ConfigError(const std::string& message, std::string hint = {})
        : Error(ExitCode::config, message, std::move(hint)) {}
};

// Not an error: a command ending early on purpose. run_cli returns code() and prints nothing.
// Deliberately not a std::exception, so no `catch (const Error&)` or `catch (const
// std::exception&)` on the way up can mistake it for a failure and report it.
class Exit {
public:
    explicit Exit(ExitCode code) : m_code(code) {}
    ExitCode code() const { return m_code; }

private:
    ExitCode m_code;
};

// The reader of stdout went away (EPIPE): the command ends quietly with exit code 0.
class BrokenPipe : public Exit {
public:
    BrokenPipe() : Exit(ExitCode::ok) {}
};

// Ends a command with `code` after it has already said everything itself (e.g. exit 130 after
// a summary on stderr).
class SilentExit : public Exit {
public:
    explicit SilentExit(ExitCode code) : Exit(code) {}
};

} // namespace natty
