#pragma once

#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace natty {

// A snapshot of environment variables, taken once in main and passed down (tests build their own).
class Environment {
public:
    Environment() = default;
    explicit Environment(std::map<std::string, std::string, std::less<>> vars)
        : m_vars(std::move(vars)) {}
    Environment(std::initializer_list<std::pair<const std::string, std::string>> vars)
        : m_vars(vars) {}

    static Environment from_process();

    // The variable's value, or "" when unset.
    std::string get(std::string_view name) const;
    bool has(std::string_view name) const { return m_vars.find(name) != m_vars.end(); }
    // A copy without the variables whose names start with `prefix` (e.g. "NATS_").
    Environment without_prefix(std::string_view prefix) const;
    // A copy with `name` set to `value` (replacing it when set).
    Environment with(std::string name, std::string value) const;
    // NAME=value for every variable, as a child process's environment takes them.
    std::vector<std::string> entries() const;

private:
    std::map<std::string, std::string, std::less<>> m_vars;
};

// Expands a leading "~" (HOME) and $VAR / ${VAR} references in a file path.
std::string expand_path(std::string_view path, const Environment& env);

} // namespace natty
