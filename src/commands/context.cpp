#include <natty/commands/context.hpp>
#include <natty/diagnose/connect.hpp>
#include <natty/error.hpp>
#include <natty/output/output.hpp>
#include <natty/util/printable.hpp>
#include <natty/util/atomic_file.hpp>
#include <natty/util/interrupt.hpp>
#include <natty/util/redact.hpp>
#include <natty/util/spawn.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace natty {
namespace {

std::string display_value(const ContextField& field, const std::string& value, bool show_secrets) {
    if (field.secret && !show_secrets) {
        return mask_secret(value);
    }
    if (field.key == "url") {
        return show_secrets ? value : redact_url(value);
    }
    return value;
}

ContextSelection selection_of(Runtime& runtime, const std::string& name) {
    ContextSelection selection;
    selection.name = name;
    selection.path = runtime.store().path_of(name);
    selection.data = runtime.store().load(name);
    selection.chosen_by = "argument";
    return selection;
}

// Settings as the named context would give them with no flags and no NATS_* overrides.
Settings context_only_settings(Runtime& runtime, const ContextSelection& selection) {
    ConnectionFlags flags;
    flags.timeout = runtime.flags().timeout;
    return resolve_settings(flags, runtime.env().without_prefix("NATS_"), selection);
}

struct ConnectCheck {
    bool ok = false;
    std::string message;
    std::optional<Error> error;
};

ConnectCheck try_connect(Runtime& runtime, const Settings& settings) {
    ConnectCheck result;
    try {
        const auto start = std::chrono::steady_clock::now();
        auto conn = diagnose::connect(settings, false, [&runtime](const std::string& line) {
            runtime.io().note(line);
        });
        conn.flush(settings.timeout);
        result.ok = true;
        result.message = "OK, connected to " + conn.connected_url() + " in " +
                         format_go_duration(std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::steady_clock::now() - start));
    } catch (const Error& e) {
        result.message = std::string("FAILED: ") + e.what();
        result.error = e;
    }
    return result;
}

// Whether the settings come from the selected context; asks the store only when a context is
// in use, so `--no-context context info` needs no configuration directory.
bool is_selected(Runtime& runtime, const Settings& settings) {
    const auto& ctx = settings.context;
    // A file given with --context is not the stored context of the same name.
    if (!ctx.name || ctx.path != runtime.store().path_of(*ctx.name)) {
        return false;
    }
    const auto selected = runtime.store().selected();
    return selected && *selected == *ctx.name;
}

void render_settings(Runtime& runtime, const Settings& settings, bool show_secrets,
                     const ConnectCheck* check) {
    Io& io = runtime.io();
    const auto& ctx = settings.context;
    if (ctx.name) {
        io.out << "Context \"" << printable(*ctx.name) << "\""
               << (is_selected(runtime, settings) ? " (selected)" : "") << "\n";
        io.out << "  File: " << printable(ctx.path.string()) << "\n\n";
    } else {
        io.out << "No context in use (flags, NATS_* variables and defaults)\n\n";
    }
    output::Table table({"Setting", "Value", "From"});
    for (const auto& field : context_fields()) {
        const std::string& value = settings.values.*field.member;
        if (!value.empty()) {
            table.add({std::string(field.label), display_value(field, value, show_secrets),
                       settings.origin(field.key)});
        }
    }
    table.add({"Timeout", format_go_duration(settings.timeout), settings.timeout_origin});
    table.add({"TLS", settings.tls_required() ? "required" : "if the server requires it", ""});
    table.render(io);
    if (check != nullptr) {
        io.out << "\nConnection: " << printable(check->message) << "\n";
    }
    io.flush_out();
}

nlohmann::json settings_json(Runtime& runtime, const Settings& settings, bool show_secrets) {
    nlohmann::json doc = nlohmann::json::object();
    doc["name"] = settings.context.name ? nlohmann::json(*settings.context.name) : nullptr;
    doc["path"] = settings.context.name ? settings.context.path.string() : "";
    doc["selected"] = is_selected(runtime, settings);
    nlohmann::json origins = nlohmann::json::object();
    for (const auto& field : context_fields()) {
        const std::string& value = settings.values.*field.member;
        doc[std::string(field.key)] = display_value(field, value, show_secrets);
        if (!value.empty()) {
            origins[std::string(field.key)] = settings.origin(field.key);
        }
    }
    doc["timeout"] = format_go_duration(settings.timeout);
    origins["timeout"] = settings.timeout_origin;
    doc["tls_required"] = settings.tls_required();
    doc["origins"] = origins;
    return doc;
}

void show(Runtime& runtime, const Settings& settings, const ContextShowOptions& options) {
    std::optional<ConnectCheck> check;
    if (options.connect) {
        check = try_connect(runtime, settings);
    }
    if (options.json) {
        auto doc = settings_json(runtime, settings, options.show_secrets);
        if (check) {
            doc["connection"] = {{"ok", check->ok}, {"message", check->message}};
        }
        output::write_json(runtime.io(), doc);
    } else {
        render_settings(runtime, settings, options.show_secrets, check ? &*check : nullptr);
    }
    if (check && check->error) {
        throw *check->error;
    }
}

} // namespace

void show_context(Runtime& runtime, const std::string& name) {
    render_settings(runtime, context_only_settings(runtime, selection_of(runtime, name)), false,
                    nullptr);
}

void require_valid(const ContextData& data, Runtime& runtime, const std::string& name) {
    const auto problems = check_context(data, runtime.env());
    if (!problems.empty()) {
        std::string all;
        for (const auto& p : problems) {
            all += (all.empty() ? "" : "; ") + p;
        }
        throw ConfigError("context \"" + name + "\" is not valid: " + all,
                          "nothing was saved; fix the values and run the command again");
    }
}

void run_context_save(const ContextSaveOptions& options, Runtime& runtime) {
    validate_context_name(options.name);
    auto& store = runtime.store();
    const bool existed = store.exists(options.name);
    ContextData data = existed ? store.load(options.name) : ContextData{};
    merge_context(data, runtime.flags().values);
    require_valid(data, runtime, options.name);
    store.save(options.name, data);
    if (!runtime.flags().values.password.empty() || !runtime.flags().values.token.empty()) {
        runtime.io().note("natty: note: a secret given as a flag is visible to local users in "
                          "the process list; NATS_PASSWORD / NATS_TOKEN avoid that");
    }
    if (options.select) {
        store.select(options.name);
    }
    runtime.io().out << (existed ? "Updated" : "Saved") << " context \"" << options.name << "\""
                     << (options.select ? " and selected it" : "") << "\n\n";
    show_context(runtime, options.name);
}

void run_context_select(const std::string& name, Runtime& runtime) {
    auto& store = runtime.store();
    std::string chosen = name;
    if (chosen.empty()) {
        const auto names = store.names();
        if (names.empty()) {
            throw ConfigError("no contexts are saved",
                              "create one with `natty context save NAME --server URL`");
        }
        if (!runtime.io().stdin_is_tty) {
            throw UsageError("context select needs a NAME when stdin is not a terminal",
                             store.known_contexts_hint());
        }
        const auto selected = store.selected();
        for (std::size_t i = 0; i < names.size(); ++i) {
            runtime.io().err << "  " << (i + 1) << ") " << names[i]
                             << (selected && *selected == names[i] ? " *" : "") << "\n";
        }
        runtime.io().err << "Select a context [1-" << names.size() << "]: " << std::flush;
        std::string line;
        runtime.io().read_line(line, 64); // a longer answer is no index either
        std::size_t index = 0;
        try {
            index = std::stoul(line);
        } catch (const std::exception&) {
            index = 0;
        }
        if (index < 1 || index > names.size()) {
            throw UsageError("no context selected: \"" + line + "\" is not a number from 1 to " +
                             std::to_string(names.size()));
        }
        chosen = names[index - 1];
    }
    store.select(chosen);
    runtime.io().out << "Selected context \"" << chosen << "\"\n\n";
    show_context(runtime, chosen);
}

void run_context_unselect(Runtime& runtime) {
    auto& store = runtime.store();
    const auto selected = store.selected();
    store.unselect();
    runtime.io().out << (selected ? "Unselected context \"" + *selected + "\""
                                  : std::string("No context was selected"))
                     << "\n";
    runtime.io().flush_out();
}

void run_context_previous(Runtime& runtime) {
    auto& store = runtime.store();
    const auto previous = store.previous();
    if (!previous) {
        throw ConfigError("there is no previous context",
                          "it is remembered when `natty context select` changes the selection");
    }
    run_context_select(*previous, runtime);
}

void run_context_list(const ContextListOptions& options, Runtime& runtime) {
    auto& store = runtime.store();
    Io& io = runtime.io();
    const auto names = store.names();
    const auto selected = store.selected();
    if (options.names) {
        for (const auto& name : names) {
            io.out << name << "\n";
        }
        io.flush_out();
        return;
    }
    nlohmann::json list = nlohmann::json::array();
    output::Table table({"NAME", "DESCRIPTION", "SERVER"});
    for (const auto& name : names) {
        const bool is_selected = selected && *selected == name;
        ContextData data;
        std::string problem;
        try {
            data = store.load(name);
        } catch (const Error& e) {
            problem = e.what();
            io.note("natty: warning: " + problem);
        }
        const std::string url = redact_url(data.url.empty() ? std::string(k_default_server)
                                                            : data.url);
        list.push_back({{"name", name},
                        {"description", data.description},
                        {"url", problem.empty() ? url : ""},
                        {"selected", is_selected},
                        {"path", store.path_of(name).string()},
                        {"valid", problem.empty()}});
        table.add({name + (is_selected ? " *" : ""), data.description,
                   problem.empty() ? url : "(unreadable: see `natty context validate " + name + "`)"});
    }
    if (options.json) {
        output::write_json(io, list);
        return;
    }
    if (names.empty()) {
        io.out << "No contexts saved; create one with `natty context save NAME --server URL`\n";
    } else {
        table.render(io);
    }
    io.flush_out();
}

void run_context_show(const ContextShowOptions& options, Runtime& runtime) {
    if (options.name.empty()) {
        show(runtime, runtime.settings(), options);
        return;
    }
    const auto selection = selection_of(runtime, options.name);
    show(runtime, resolve_settings(runtime.flags(), runtime.env(), selection), options);
}

void run_context_remove(const ContextRemoveOptions& options, Runtime& runtime) {
    auto& store = runtime.store();
    store.require(options.name);
    const auto selected = store.selected();
    if (selected && *selected == options.name) {
        if (!options.force) {
            throw UsageError("\"" + options.name + "\" is the selected context; not removed",
                             "use -f to remove it anyway (it is unselected), or select another "
                             "context first");
        }
        store.unselect();
    }
    store.remove(options.name);
    runtime.io().out << "Removed context \"" << options.name << "\"\n";
    runtime.io().flush_out();
}

void run_context_copy(const ContextCopyOptions& options, Runtime& runtime) {
    auto& store = runtime.store();
    validate_context_name(options.destination);
    ContextData data = store.load(options.source);
    if (store.exists(options.destination)) {
        throw ConfigError("context \"" + options.destination + "\" already exists",
                          "remove it first with `natty context rm " + options.destination + "`");
    }
    merge_context(data, runtime.flags().values);
    require_valid(data, runtime, options.destination);
    store.save(options.destination, data);
    if (options.select) {
        store.select(options.destination);
    }
    runtime.io().out << "Copied context \"" << options.source << "\" to \"" << options.destination
                     << "\"\n\n";
    show_context(runtime, options.destination);
}

void run_context_validate(const ContextValidateOptions& options, Runtime& runtime) {
    auto& store = runtime.store();
    std::vector<std::string> names;
    if (options.name.empty()) {
        names = store.names();
    } else {
        store.require(options.name);
        names.push_back(options.name);
    }
    if (names.empty()) {
        runtime.io().out << "No contexts saved\n";
        return;
    }
    int failures = 0;
    ExitCode code = ExitCode::config;
    for (const auto& name : names) {
        std::vector<std::string> problems;
        std::optional<ContextSelection> selection;
        try {
            selection = selection_of(runtime, name);
            problems = check_context(selection->data, runtime.env());
        } catch (const Error& e) {
            problems.emplace_back(e.what());
        }
        std::string line = name + ": ";
        if (problems.empty() && options.connect) {
            const auto check = try_connect(runtime, context_only_settings(runtime, *selection));
            if (check.error) {
                problems.emplace_back(check.error->what());
                code = check.error->code();
            } else {
                line += check.message;
            }
        } else if (problems.empty()) {
            line += "OK";
        }
        for (std::size_t i = 0; i < problems.size(); ++i) {
            line += (i == 0 ? "ERROR " : "; ") + problems[i];
        }
        failures += problems.empty() ? 0 : 1;
        runtime.io().out << line << "\n";
    }
    runtime.io().flush_out();
    if (failures > 0) {
        throw Error(code, "validation failed for " + std::to_string(failures) + " of " +
                              std::to_string(names.size()) + " contexts");
    }
}

namespace {

// copy, edit, validate and import: the subcommands that make or check contexts from others.
void setup_context_changes(CLI::App& ctx, Runtime& runtime) {
    auto copy_opts = std::make_shared<ContextCopyOptions>();
    auto* copy = ctx.add_subcommand("copy", "Copy a context, applying any connection flags");
    copy->alias("cp");
    copy->add_option("source", copy_opts->source, "Existing context")->required();
    copy->add_option("destination", copy_opts->destination, "New context name")->required();
    copy->add_option("--description", runtime.flags().values.description, "Description");
    copy->add_flag("--select", copy_opts->select, "Select the new context");
    copy->callback([copy_opts, &runtime] { run_context_copy(*copy_opts, runtime); });

    auto edit_name = std::make_shared<std::string>();
    auto* edit = ctx.add_subcommand(
        "edit", "Edit a context in $EDITOR; the result is validated before it is saved");
    edit->add_option("name", *edit_name, "Context name")->required();
    edit->callback([edit_name, &runtime] { run_context_edit(*edit_name, runtime); });

    auto validate_opts = std::make_shared<ContextValidateOptions>();
    auto* validate = ctx.add_subcommand("validate", "Check one or all contexts");
    validate->add_option("name", validate_opts->name, "Context name (default: all)");
    validate->add_flag("--connect", validate_opts->connect, "Also connect with each");
    validate->callback([validate_opts, &runtime] { run_context_validate(*validate_opts, runtime); });

    auto import_opts = std::make_shared<ContextImportOptions>();
    auto* import = ctx.add_subcommand(
        "import", "Import the Go nats CLI's contexts (~/.config/nats/context/*.json)");
    import->add_option("names", import_opts->names, "Only these contexts");
    import->add_option("--from", import_opts->from, "Directory of *.json contexts");
    import->add_flag("-f,--force", import_opts->force, "Overwrite natty contexts of the same name");
    import->callback([import_opts, &runtime] { run_context_import(*import_opts, runtime); });
}

} // namespace

void setup_context(CLI::App& app, Runtime& runtime) {
    auto* ctx = app.add_subcommand("context", "Manage saved connection contexts");
    ctx->alias("ctx");
    ctx->require_subcommand(1);

    auto save_opts = std::make_shared<ContextSaveOptions>();
    auto* save = ctx->add_subcommand(
        "save", "Save (or update) a context from the connection flags, e.g.\n"
                "  natty context save prod --server nats://host --user u --tlsca ca.pem --select");
    save->alias("add");
    save->alias("create");
    save->add_option("name", save_opts->name, "Context name")->required();
    save->add_option("--description", runtime.flags().values.description, "Description");
    save->add_flag("--select", save_opts->select, "Select the context after saving");
    save->callback([save_opts, &runtime] { run_context_save(*save_opts, runtime); });

    auto select_name = std::make_shared<std::string>();
    auto* select = ctx->add_subcommand("select", "Select the default context (asks if no NAME)");
    select->alias("switch");
    select->add_option("name", *select_name, "Context name");
    select->callback([select_name, &runtime] { run_context_select(*select_name, runtime); });

    ctx->add_subcommand("unselect", "Stop using a default context")
        ->callback([&runtime] { run_context_unselect(runtime); });
    auto* previous = ctx->add_subcommand("previous", "Select the previously selected context");
    previous->alias("-");
    previous->callback([&runtime] { run_context_previous(runtime); });

    auto list_opts = std::make_shared<ContextListOptions>();
    auto* list = ctx->add_subcommand("ls", "List contexts; the selected one is marked *");
    list->alias("list");
    list->add_flag("--names", list_opts->names, "Only names, one per line");
    list->add_flag("-j,--json", list_opts->json, "JSON output");
    list->callback([list_opts, &runtime] { run_context_list(*list_opts, runtime); });

    auto show_opts = std::make_shared<ContextShowOptions>();
    auto* info = ctx->add_subcommand(
        "info", "Show a context's effective settings and where each came from");
    info->alias("show");
    info->add_option("name", show_opts->name, "Context name (default: the one in use)");
    info->add_flag("-j,--json", show_opts->json, "JSON output");
    info->add_flag("--connect", show_opts->connect, "Also connect to test the settings");
    info->add_flag("--show-secrets", show_opts->show_secrets,
                   "Print passwords and tokens instead of ********");
    info->callback([show_opts, &runtime] { run_context_show(*show_opts, runtime); });

    auto rm_opts = std::make_shared<ContextRemoveOptions>();
    auto* rm = ctx->add_subcommand("rm", "Remove a context");
    rm->alias("remove");
    rm->add_option("name", rm_opts->name, "Context name")->required();
    rm->add_flag("-f,--force", rm_opts->force, "Remove even the selected context");
    rm->callback([rm_opts, &runtime] { run_context_remove(*rm_opts, runtime); });

    setup_context_changes(*ctx, runtime);
}

} // namespace natty
