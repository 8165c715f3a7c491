#pragma once

// natty run in this process through run_cli(), with a private HOME and XDG_CONFIG_HOME: the
// same calls as the integration tests' Sandbox::natty(), for commands that need no server.
// A usage error or a context command then costs a function call instead of a process.

#include "process.hpp"
#include "sandbox.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace natty::test {

class InProcess {
public:
    const std::filesystem::path& dir() const { return m_sandbox.dir(); }
    std::filesystem::path config_dir() const { return m_sandbox.config_dir(); }
    std::filesystem::path context_file(const std::string& name) const {
        return m_sandbox.context_file(name);
    }

    // HOME, XDG_CONFIG_HOME and TMPDIR, plus `extra` (as Sandbox::env).
    std::map<std::string, std::string> env(const std::map<std::string, std::string>& extra = {}) const {
        return m_sandbox.env(extra);
    }

    // Runs `natty args...`: the environment is the sandbox's plus options.env (nothing of this
    // process's), stdin is options.stdin_data, and no stream is a terminal.
    RunResult natty(const std::vector<std::string>& args, const RunOptions& options = {}) const;

private:
    Sandbox m_sandbox;
};

} // namespace natty::test
