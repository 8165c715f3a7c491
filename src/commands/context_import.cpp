#include <natty/commands/context.hpp>
#include <natty/context/go_context.hpp>
#include <natty/context/store.hpp>
#include <natty/error.hpp>

#include "context_common.hpp"

#include <algorithm>
#include <filesystem>

// `context import`: the Go CLI's JSON contexts brought over as natty contexts.

namespace natty {

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
        const auto imported_context = import_go_context(text, name);
        if (!imported_context) {
            runtime.io().note("natty: warning: skipped " + file.string() + ": not valid JSON");
            ++skipped;
            continue;
        }
        for (const auto& warning : imported_context->warnings) {
            runtime.io().note(warning);
        }
        store.save(name, imported_context->data);
        runtime.io().out << "Imported \"" << name << "\" from " << file.string() << "\n";
        ++imported;
    }
    runtime.io().out << "Imported " << imported << " context" << (imported == 1 ? "" : "s")
                     << (skipped > 0 ? ", skipped " + std::to_string(skipped) : "") << "\n";
    runtime.io().flush_out();
}

} // namespace natty
