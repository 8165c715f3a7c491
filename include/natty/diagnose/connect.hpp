#pragma once

#include <natty/context/settings.hpp>
#include <natty/nats/connection.hpp>

namespace natty::diagnose {

// Opens the connection the settings describe, for every command that talks to a server.
// Every file a setting names is checked first (a missing credentials file or CA is named with
// the setting it came from); a connect that fails becomes an Error that says which server,
// which phase and why, with a hint, using a raw probe of the first server to learn what
// nats.c does not say. `notify` receives connection events and --trace lines. `send_asap`:
// see nats::ConnectSpec.
nats::Connection
connect(const Settings& settings, bool reconnect, nats::EventSink notify, bool send_asap = false);

// Checks that every file a setting names (credentials, NKey seed, TLS certificate, key, CA)
// can be read; throws a ConfigError naming the setting and where it came from otherwise.
void require_readable_files(const Settings& settings);

// The explanation connect() gives for a failed attempt: which server, which phase, why.
[[noreturn]] void explain_connect_failure(const nats::ConnectError& failure,
                                          const Settings& settings);

} // namespace natty::diagnose
