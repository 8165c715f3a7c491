#include <natty/context/go_context.hpp>

#include <nlohmann/json.hpp>

// The Go CLI's JSON contexts (~/.config/nats/context/<name>.json) read as natty contexts.

namespace natty {
namespace {

// The Go CLI resolves these in secrets and file settings when it connects (1Password, nsc,
// environment variables, inline data, files); natty would take them literally.
std::optional<std::string_view> go_resolver_scheme(std::string_view value) {
    for (std::string_view scheme : {"op://", "nsc://", "env://", "data:", "file://"}) {
        if (value.rfind(scheme, 0) == 0) {
            return scheme;
        }
    }
    return std::nullopt;
}

void read_fields(const nlohmann::json& doc, const std::string& name, GoContextImport& result) {
    for (const auto& field : context_fields()) {
        const auto it = doc.find(std::string(field.key));
        if (it == doc.end() || !it->is_string()) {
            continue;
        }
        std::string value = it->get<std::string>();
        const auto scheme = field.secret || field.path ? go_resolver_scheme(value) : std::nullopt;
        if (scheme == "file://" && field.path) {
            value.erase(0, scheme->size());
        } else if (scheme) {
            result.warnings.push_back(
                "natty: warning: context \"" + name + "\": \"" + std::string(field.key)
                + "\" uses the Go CLI's " + std::string(*scheme)
                + " resolver, which natty does not support; not imported (set it with `natty "
                  "context save "
                + name + " " + std::string(field.flag) + " ...`)");
            continue;
        }
        result.data.*field.member = value;
    }
}

} // namespace

std::optional<GoContextImport> import_go_context(std::string_view text, const std::string& name) {
    const auto doc = nlohmann::json::parse(text, nullptr, false);
    if (!doc.is_object()) {
        return std::nullopt;
    }
    GoContextImport result;
    read_fields(doc, name, result);
    for (const char* unsupported :
         {"nsc", "user_jwt", "user_seed", "socks_proxy", "jetstream_event_prefix"}) {
        const auto it = doc.find(unsupported);
        if (it != doc.end() && it->is_string() && !it->get<std::string>().empty()) {
            result.warnings.push_back("natty: warning: context \"" + name + "\": \"" + unsupported
                                      + "\" is not supported by natty and was not imported");
        }
    }
    // Not value("tls_first", false): it throws type_error for "tls_first":"yes".
    if (const auto it = doc.find("tls_first");
        it != doc.end() && it->is_boolean() && it->get<bool>()) {
        result.warnings.push_back("natty: warning: context \"" + name
                                  + "\": tls_first is not supported by nats.c 3.4 and was not "
                                    "imported");
    }
    return result;
}

} // namespace natty
