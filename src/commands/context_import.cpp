#include <natty/commands/context.hpp>
#include <natty/context/store.hpp>
#include <natty/error.hpp>

#include "context_common.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string_view>

// `context import`: the Go CLI's JSON contexts brought over as natty contexts.

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

ContextData import_go_context(const nlohmann::json& doc, const std::string& name, Runtime& runtime) {
    ContextData data;
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
            runtime.io().note("natty: warning: context \"" + name + "\": \"" +
                              std::string(field.key) + "\" uses the Go CLI's " +
                              std::string(*scheme) + " resolver, which natty does not support; "
                              "not imported (set it with `natty context save " + name + " " +
                              std::string(field.flag) + " ...`)");
            continue;
        }
        data.*field.member = value;
    }
    for (const char* unsupported :
         {"nsc", "user_jwt", "user_seed", "socks_proxy", "jetstream_event_prefix"}) {
        const auto it = doc.find(unsupported);
        if (it != doc.end() && it->is_string() && !it->get<std::string>().empty()) {
            runtime.io().note("natty: warning: context \"" + name + "\": \"" + unsupported +
                              "\" is not supported by natty and was not imported");
        }
    }
    if (doc.value("tls_first", false)) {
        runtime.io().note("natty: warning: context \"" + name +
                          "\": tls_first is not supported by nats.c 3.4 and was not imported");
    }
    return data;
}

} // namespace

void run_context_import(const ContextImportOptions& options, Runtime& runtime) {
    std::filesystem::path from = options.from;
    if (from.empty()) {
        from = ContextStore::default_root(runtime.env()).parent_path() / "nats" / "context";
    }
    std::error_code ec;
    if (!std::filesystem::is_directory(from, ec)) {
        throw ConfigError("no Go CLI contexts found: " + from.string() + " is not a directory",
                          "point --from at the directory holding the nats CLI's *.json contexts");
    }
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(from, ec)) {
        if (entry.path().extension() == ".json") {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    auto& store = runtime.store();
    int imported = 0;
    int skipped = 0;
    for (const auto& file : files) {
        const std::string name = file.stem().string();
        if (!options.names.empty() &&
            std::find(options.names.begin(), options.names.end(), name) == options.names.end()) {
            continue;
        }
        try {
            validate_context_name(name);
        } catch (const UsageError& e) {
            runtime.io().note("natty: warning: skipped " + file.string() + ": " + e.what());
            ++skipped;
            continue;
        }
        if (store.exists(name) && !options.force) {
            runtime.io().note("natty: warning: skipped \"" + name +
                              "\": a natty context with that name exists (use --force)");
            ++skipped;
            continue;
        }
        std::string text;
        try {
            text = read_context_file(file);
        } catch (const ConfigError& e) {
            runtime.io().note(std::string("natty: warning: skipped ") + e.what());
            ++skipped;
            continue;
        }
        const auto doc = nlohmann::json::parse(text, nullptr, false);
        if (!doc.is_object()) {
            runtime.io().note("natty: warning: skipped " + file.string() + ": not valid JSON");
            ++skipped;
            continue;
        }
        store.save(name, import_go_context(doc, name, runtime));
        runtime.io().out << "Imported \"" << name << "\" from " << file.string() << "\n";
        ++imported;
    }
    runtime.io().out << "Imported " << imported << " context" << (imported == 1 ? "" : "s")
                     << (skipped > 0 ? ", skipped " + std::to_string(skipped) : "") << "\n";
    runtime.io().flush_out();
}

} // namespace natty
