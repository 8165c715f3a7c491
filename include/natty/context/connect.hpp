#pragma once

#include <natty/context/settings.hpp>
#include <natty/nats/connect_spec.hpp>
#include <natty/net/probe.hpp>

namespace natty {

// The one translation from resolved settings to what the nats layer connects with.
nats::ConnectSpec connect_spec(const Settings& settings, bool reconnect);

// The one translation from resolved settings to a raw probe of a server (server check,
// server tls, connect-failure diagnosis). Credentials the probe cannot present (creds, nkey)
// leave its NATS handshake off.
net::ProbeOptions probe_options(const Settings& settings);

} // namespace natty
