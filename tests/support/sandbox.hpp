#pragma once

#include "nats_server.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace natty::test {

// A per-test home for the natty binary: its own HOME and XDG_CONFIG_HOME under a TempDir, so
// tests never read or write the developer's contexts and can run in parallel.
class Sandbox {
public:
    Sandbox();

    const std::filesystem::path& dir() const { return m_dir.path(); }
    std::filesystem::path config_dir() const { return dir() / "config"; }
    std::filesystem::path context_file(const std::string& name) const {
        return config_dir() / "natty" / "context" / (name + ".toml");
    }

    // HOME and XDG_CONFIG_HOME, plus `extra`.
    std::map<std::string, std::string> env(const std::map<std::string, std::string>& extra = {}) const;

    // Runs natty with args; RunOptions.env is merged over env().
    RunResult natty(const std::vector<std::string>& args, RunOptions options = {}) const;
    std::unique_ptr<Child> spawn_natty(const std::vector<std::string>& args,
                                       RunOptions options = {}) const;
    // spawn_natty() for a `sub` (or `kv watch`-like) command, once it says "Subscribing" on
    // stderr (REQUIREd within 10 s).
    std::unique_ptr<Child> spawn_subscribed(const std::vector<std::string>& args,
                                            RunOptions options = {}) const;

private:
    TempDir m_dir;
};

// True if `haystack` contains `needle`; for readable REQUIRE/CHECK lines.
inline bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// `-s <server url>` followed by args: natty's arguments for talking to one fixture server.
std::vector<std::string> with_server(const NatsServer& server, std::vector<std::string> args);

// `natty -s SERVER sub ARGS...`, once it has subscribed (Sandbox::spawn_subscribed).
std::unique_ptr<Child>
start_sub(const Sandbox& sandbox, const NatsServer& server, std::vector<std::string> args);

// A file's whole content ("" when it cannot be read).
std::string slurp(const std::filesystem::path& path);

// A file's permission bits (e.g. 0600); fails the test when the file cannot be stat'ed.
unsigned mode_of(const std::filesystem::path& path);

// The lines of a command's output, without their newlines.
std::vector<std::string> lines_of(const std::string& text);

// A command's JSON Lines output, parsed; blank lines are skipped.
std::vector<nlohmann::json> json_lines(const std::string& text);

} // namespace natty::test
