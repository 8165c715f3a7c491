#include <natty/commands/runtime.hpp>
#include <natty/diagnose/connect.hpp>

#include <CLI/CLI.hpp>

namespace natty {

ContextStore& Runtime::store() {
    if (!m_store) {
        m_store.emplace(ContextStore::default_root(m_env),
                        [this](const std::string& line) { m_io.note(line); });
    }
    return *m_store;
}

const Settings& Runtime::settings() {
    if (!m_settings) {
        // --no-context needs no configuration directory, so it works without HOME (cron, CI).
        const ContextSelection selection =
            m_flags.no_context ? ContextSelection{} : select_context(m_flags, m_env, store());
        m_settings = resolve_settings(m_flags, m_env, selection);
    }
    return *m_settings;
}

nats::Connection Runtime::connect(bool reconnect, bool send_asap) {
    return diagnose::connect(
        settings(), reconnect, [this](const std::string& line) { m_io.note(line); }, send_asap);
}

void setup_connection_flags(CLI::App& app, ConnectionFlags& flags) {
    const std::string group = "Connection (flag > NATS_* env > context > default)";
    auto& v = flags.values;
    app.add_option("-s,--server", v.url,
                   "NATS server URLs, comma-separated (NATS_URL; default nats://127.0.0.1:4222)")
        ->group(group);
    app.add_option("--user", v.user, "Username, or token when given without --password (NATS_USER)")
        ->group(group);
    app.add_option("--password", v.password, "Password (NATS_PASSWORD)")->group(group);
    app.add_option("--token", v.token, "Authentication token (NATS_TOKEN)")->group(group);
    app.add_option("--creds", v.creds, "User credentials file (NATS_CREDS)")->group(group);
    app.add_option("--nkey", v.nkey, "User NKey seed file (NATS_NKEY)")->group(group);
    app.add_option("--tlscert", v.cert, "TLS client certificate file (NATS_CERT)")->group(group);
    app.add_option("--tlskey", v.key, "TLS client key file (NATS_KEY)")->group(group);
    app.add_option("--tlsca", v.ca, "CA file to verify the server; makes TLS mandatory (NATS_CA)")
        ->group(group);
    app.add_option("--inbox-prefix", v.inbox_prefix, "Custom inbox prefix")->group(group);
    app.add_option("--js-domain", v.jetstream_domain, "JetStream domain")->group(group);
    app.add_option("--js-api-prefix", v.jetstream_api_prefix, "JetStream API prefix")
        ->group(group);
    app.add_option("--timeout", flags.timeout,
                   "Connect and response timeout, e.g. 2s, 500ms (NATS_TIMEOUT; default 5s)")
        ->group(group);
    app.add_option("--connection-name", flags.connection_name, "Connection name shown by the server")
        ->group(group);
    app.add_option("--context", flags.context,
                   "Context name or path to a .toml file (NATS_CONTEXT)")
        ->group(group);
    app.add_flag("--no-context", flags.no_context, "Ignore all saved contexts")->group(group);
    app.add_flag("--trace", flags.trace, "Log connection events to stderr (never secrets)")
        ->group(group);
}

} // namespace natty
