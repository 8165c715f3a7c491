#pragma once

#include <natty/context/context.hpp>
#include <natty/util/duration.hpp>
#include <natty/util/url.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace natty {

class ContextStore;
class Environment;

// Connection settings exactly as given on the command line; an empty string means "not given".
struct ConnectionFlags {
    ContextData values; // --server, --user, ... (description is only used by `context save`)
    std::string timeout;
    std::string connection_name;
    std::string context; // name or path to a .toml file
    bool no_context = false;
    bool trace = false;
};

// The context chosen for this run, if any.
struct ContextSelection {
    std::optional<std::string> name; // set when a context is in use
    std::filesystem::path path;
    ContextData data;
    std::string chosen_by; // "--context", "NATS_CONTEXT", "selected"
};

// Effective settings after applying flag > env > context > default, with each value's origin.
struct Settings {
    ContextData values;
    std::map<std::string, std::string, std::less<>> origins; // field key -> "flag --server", ...
    Duration timeout = std::chrono::seconds(5);
    std::string timeout_origin = "default";
    std::string connection_name;
    bool trace = false;
    ContextSelection context;

    std::vector<ServerUrl> servers() const;
    // A CA, a client certificate or a tls:// URL: TLS is then mandatory, never downgraded.
    bool tls_required() const;
    std::string origin(std::string_view key) const;
};

inline constexpr std::string_view k_default_server = "nats://127.0.0.1:4222";

// Chooses the context: --context, else NATS_CONTEXT, else the selected one, else none.
// An unknown context is a ConfigError that lists the known ones (nothing is unselected).
ContextSelection select_context(const ConnectionFlags& flags, const Environment& env,
                                const ContextStore& store);

// Applies precedence. Pure: no I/O, so it is unit-tested directly.
// `--user` without a password (from any source) is used as a token, as the Go CLI does.
Settings resolve_settings(const ConnectionFlags& flags, const Environment& env,
                          const ContextSelection& context);

} // namespace natty
