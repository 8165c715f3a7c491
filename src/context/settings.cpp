#include <natty/context/settings.hpp>
#include <natty/context/store.hpp>
#include <natty/error.hpp>
#include <natty/util/environment.hpp>
#include <natty/util/subject.hpp>

namespace natty {
namespace {

// nats.c pastes the inbox prefix and the JetStream domain and API prefix into protocol lines
// unchecked ("d 0\r\nPUB x ..." publishes with the user's credentials): refused here, as a
// usage error from a flag or the environment, a configuration error from a context.
void check_subject_settings(const Settings& settings) {
    struct Check {
        std::string_view key;
        const std::string& value;
        const char* what;
        std::optional<std::string> (*problem)(std::string_view);
    };
    const Check checks[] = {
        {"inbox_prefix", settings.values.inbox_prefix, "inbox prefix", publish_subject_problem},
        {"jetstream_domain", settings.values.jetstream_domain, "JetStream domain",
         subject_token_problem},
        {"jetstream_api_prefix", settings.values.jetstream_api_prefix, "JetStream API prefix",
         subject_prefix_problem},
    };
    for (const auto& check : checks) {
        if (check.value.empty()) {
            continue;
        }
        const auto why = check.problem(check.value);
        if (!why) {
            continue;
        }
        const std::string origin = settings.origin(check.key);
        const std::string message = "invalid " + std::string(check.what) + " \"" + check.value
                                    + "\" (from " + origin + "): " + *why;
        const std::string hint = check.key == "jetstream_domain"
                                     ? "a domain is one word without spaces, '.' or wildcards"
                                     : "use dot-separated tokens without spaces or wildcards";
        if (settings.context.name && origin.rfind("context", 0) == 0) {
            throw ConfigError(message, hint);
        }
        throw UsageError(message, hint);
    }
}

} // namespace

std::vector<ServerUrl> Settings::servers() const { return parse_server_list(values.url); }

bool Settings::tls_required() const {
    if (!values.ca.empty() || !values.cert.empty() || !values.key.empty()) {
        return true;
    }
    for (const auto& url : servers()) {
        if (url.scheme == "tls") {
            return true;
        }
    }
    return false;
}

std::string Settings::origin(std::string_view key) const {
    const auto it = origins.find(key);
    return it == origins.end() ? std::string() : it->second;
}

ContextSelection select_context(const ConnectionFlags& flags, const Environment& env,
                                const ContextStore& store) {
    ContextSelection selection;
    if (flags.no_context) {
        return selection;
    }
    std::string requested = flags.context;
    selection.chosen_by = "--context";
    if (requested.empty()) {
        requested = env.get("NATS_CONTEXT");
        selection.chosen_by = "NATS_CONTEXT";
    }
    if (requested.empty()) {
        const auto selected = store.selected();
        if (!selected) {
            selection.chosen_by.clear();
            return selection;
        }
        if (!store.exists(*selected)) {
            throw ConfigError("the selected context \"" + *selected + "\" does not exist",
                              store.known_contexts_hint() +
                                  "; select one with `natty context select NAME` or run "
                                  "`natty context unselect`");
        }
        requested = *selected;
        selection.chosen_by = "selected";
    }
    // A value ending in .toml is a file if it names one or contains a slash (then it must exist).
    const std::filesystem::path as_path(requested);
    std::error_code ec;
    if (as_path.extension() == ".toml" && (requested.find('/') != std::string::npos ||
                                           std::filesystem::is_regular_file(as_path, ec))) {
        if (!std::filesystem::is_regular_file(as_path, ec)) {
            throw ConfigError("context file " + requested + " does not exist");
        }
        selection.name = as_path.stem().string();
        selection.path = as_path;
        selection.data = store.load_file(as_path);
        return selection;
    }
    if (!store.exists(requested)) {
        validate_context_name(requested);
        throw ConfigError("unknown context \"" + requested + "\" (from " + selection.chosen_by +
                              ")",
                          store.known_contexts_hint());
    }
    selection.name = requested;
    selection.path = store.path_of(requested);
    selection.data = store.load(requested);
    return selection;
}

Settings resolve_settings(const ConnectionFlags& flags, const Environment& env,
                          const ContextSelection& context) {
    Settings settings;
    settings.context = context;
    const std::string context_origin =
        context.name ? "context \"" + *context.name + "\"" : std::string();
    for (const auto& field : context_fields()) {
        std::string& target = settings.values.*field.member;
        const std::string& from_flag = flags.values.*field.member;
        const std::string from_env = field.env.empty() ? std::string() : env.get(field.env);
        const std::string& from_context = context.data.*field.member;
        std::string origin;
        if (!from_flag.empty()) {
            target = from_flag;
            origin = "flag " + std::string(field.flag);
        } else if (!from_env.empty()) {
            target = from_env;
            origin = "env " + std::string(field.env);
        } else if (!from_context.empty()) {
            target = from_context;
            origin = context_origin;
        }
        if (!target.empty()) {
            if (field.path) {
                target = expand_path(target, env);
            }
            settings.origins.emplace(std::string(field.key), origin);
        }
    }
    if (settings.values.url.empty()) {
        settings.values.url = std::string(k_default_server);
        settings.origins["url"] = "default";
    }
    if (!settings.values.user.empty() && settings.values.password.empty() &&
        settings.values.token.empty()) {
        settings.values.token = settings.values.user;
        settings.origins["token"] = settings.origins["user"] + " (user without password)";
        settings.values.user.clear();
        settings.origins.erase("user");
    }
    const std::string env_timeout = env.get("NATS_TIMEOUT");
    std::string timeout_source = "--timeout";
    if (!flags.timeout.empty()) {
        settings.timeout = parse_duration(flags.timeout, timeout_source);
        settings.timeout_origin = "flag --timeout";
    } else if (!env_timeout.empty()) {
        timeout_source = "NATS_TIMEOUT";
        settings.timeout = parse_duration(env_timeout, timeout_source);
        settings.timeout_origin = "env NATS_TIMEOUT";
    }
    if (settings.timeout <= Duration::zero()) {
        throw UsageError(timeout_source + " must be greater than zero", "e.g. 500ms, 2s or 1m");
    }
    settings.connection_name =
        flags.connection_name.empty() ? "natty" : flags.connection_name;
    settings.trace = flags.trace;
    settings.servers(); // validates the URL list before anything connects
    check_subject_settings(settings);
    return settings;
}

} // namespace natty
