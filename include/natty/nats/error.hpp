#pragma once

#include <natty/error.hpp>

#include <nats/nats.h>

#include <string>
#include <string_view>

namespace natty::nats {

// A nats.c failure: the status, its text and nats.c's detail (from nats_GetLastError).
class NatsError : public Error {
public:
    // `message` is complete: it is shown as is, after "natty: error: ".
    NatsError(natsStatus status, const std::string& message, std::string hint = {});
    // With an exit code other than the status's own (see ConnectError).
    NatsError(natsStatus status, ExitCode code, const std::string& message);

    natsStatus status() const { return m_status; }

    // What went wrong, for callers outside this layer (they never name nats.c's statuses).
    bool not_found() const;
    bool timed_out() const;
    bool no_responders() const;
    bool not_permitted() const;
    // The connection is gone: closed, disconnected, stale or no server left to try.
    bool connection_lost() const;

private:
    natsStatus m_status;
};

// The exit code a nats.c status maps to.
ExitCode exit_code_for(natsStatus status);

// Forgets this thread's nats.c error, so a later last_error_detail() cannot report an error
// that was already handled. (nats_GetLastError only reads it; nats.c exports the reset.)
void clear_last_error();

// nats.c's last error text for this thread without the "(file.c:123): " location prefix.
std::string last_error_detail(natsStatus status);

// "<what>: <reason>", the reason being nats.c's detail or else the status text.
std::string describe(natsStatus status, std::string_view what, const std::string& detail);

// Throws NatsError("<what>: <reason>") unless status is NATS_OK. Reads the thread-local last
// error at once, before anything else can overwrite it.
void check(natsStatus status, std::string_view what);

} // namespace natty::nats
