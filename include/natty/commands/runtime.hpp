#pragma once

#include <natty/context/settings.hpp>
#include <natty/context/store.hpp>
#include <natty/io.hpp>
#include <natty/nats/connection.hpp>
#include <natty/util/environment.hpp>

#include <optional>

namespace CLI {
class App;
}

namespace natty {

// What every command receives: I/O, the environment snapshot, the global connection flags
// as parsed, and lazily the context store and resolved settings.
class Runtime {
public:
    Runtime(Io& io, Environment env) : m_io(io), m_env(std::move(env)) {}

    Io& io() { return m_io; }
    const Environment& env() const { return m_env; }
    ConnectionFlags& flags() { return m_flags; }

    ContextStore& store();
    // Resolves flag > env > context > default once; throws ConfigError/UsageError.
    const Settings& settings();
    // Connects with the resolved settings; notices go to stderr. `send_asap`: see
    // nats::ConnectSpec.
    nats::Connection connect(bool reconnect = false, bool send_asap = false);

private:
    Io& m_io;
    Environment m_env;
    ConnectionFlags m_flags;
    std::optional<ContextStore> m_store;
    std::optional<Settings> m_settings;
};

// Declares the global connection flags (-s, --user, ... --trace) on the root app.
void setup_connection_flags(CLI::App& app, ConnectionFlags& flags);

} // namespace natty
