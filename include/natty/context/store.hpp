#pragma once

#include <natty/context/context.hpp>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace natty {

class Environment;

// Reads a file of context size (at most 1 MiB: contexts, the Go CLI's JSON contexts, an edited
// copy); throws ConfigError naming the file when it cannot be read or is larger.
std::string read_context_file(const std::filesystem::path& path);

// The context files under one root (normally $XDG_CONFIG_HOME/natty):
//   context/<name>.toml, context.txt (selected), previous-context.txt (previously selected).
// Directories are 0700 and files 0600; every write is atomic and never follows a symlink.
class ContextStore {
public:
    using Warn = std::function<void(const std::string&)>;

    ContextStore(std::filesystem::path root, Warn warn);

    // $XDG_CONFIG_HOME/natty, else $HOME/.config/natty. Throws ConfigError if neither is set.
    static std::filesystem::path default_root(const Environment& env);

    const std::filesystem::path& root() const { return m_root; }
    std::filesystem::path path_of(std::string_view name) const;

    // Valid names with a .toml file, sorted.
    std::vector<std::string> names() const;
    bool exists(std::string_view name) const;
    // Throws UsageError for an invalid name, ConfigError naming the known contexts if there is
    // no such context.
    void require(std::string_view name) const;

    // Loads a context by name; ConfigError naming the known contexts if it does not exist.
    ContextData load(std::string_view name) const;
    // Loads any context file; warns if it is readable by group or others.
    ContextData load_file(const std::filesystem::path& path) const;

    void save(std::string_view name, const ContextData& data);
    // Removes the file, and the previous-context pointer if it names this context.
    void remove(std::string_view name);

    std::optional<std::string> selected() const;
    std::optional<std::string> previous() const;
    // Selects `name` and remembers the old selection as previous.
    void select(std::string_view name);
    void unselect();

    // "known contexts: a, b" or "no contexts are saved", for error hints.
    std::string known_contexts_hint() const;

private:
    std::optional<std::string> read_pointer(const std::filesystem::path& file) const;
    void write_pointer(const std::filesystem::path& file, const std::string& name);

    std::filesystem::path m_root;
    Warn m_warn;
};

} // namespace natty
