#pragma once

#include <natty/commands/runtime.hpp>

#include <string>
#include <vector>

namespace natty {

struct ContextSaveOptions {
    std::string name;
    bool select = false;
};

struct ContextShowOptions {
    std::string name; // "" = the context in use
    bool json = false;
    bool connect = false;
    bool show_secrets = false;
};

struct ContextListOptions {
    bool names = false;
    bool json = false;
};

struct ContextRemoveOptions {
    std::string name;
    bool force = false;
};

struct ContextCopyOptions {
    std::string source;
    std::string destination;
    bool select = false;
};

struct ContextValidateOptions {
    std::string name; // "" = all
    bool connect = false;
};

struct ContextImportOptions {
    std::string from; // "" = $XDG_CONFIG_HOME/nats/context
    std::vector<std::string> names;
    bool force = false;
};

// Registers `natty context ...` (alias ctx).
void setup_context(CLI::App& app, Runtime& runtime);

void run_context_save(const ContextSaveOptions& options, Runtime& runtime);
void run_context_select(const std::string& name, Runtime& runtime);
void run_context_unselect(Runtime& runtime);
void run_context_previous(Runtime& runtime);
void run_context_list(const ContextListOptions& options, Runtime& runtime);
void run_context_show(const ContextShowOptions& options, Runtime& runtime);
void run_context_remove(const ContextRemoveOptions& options, Runtime& runtime);
void run_context_copy(const ContextCopyOptions& options, Runtime& runtime);
void run_context_edit(const std::string& name, Runtime& runtime);
void run_context_validate(const ContextValidateOptions& options, Runtime& runtime);
void run_context_import(const ContextImportOptions& options, Runtime& runtime);

} // namespace natty
