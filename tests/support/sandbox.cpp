#include "sandbox.hpp"

namespace natty::test {

Sandbox::Sandbox() {
    std::filesystem::create_directories(dir() / "home");
}

std::map<std::string, std::string> Sandbox::env(
    const std::map<std::string, std::string>& extra) const {
    std::map<std::string, std::string> vars{{"HOME", (dir() / "home").string()},
                                            {"XDG_CONFIG_HOME", config_dir().string()},
                                            {"TMPDIR", dir().string()}};
    for (const auto& [key, value] : extra) {
        vars[key] = value;
    }
    return vars;
}

RunResult Sandbox::natty(const std::vector<std::string>& args, RunOptions options) const {
    options.env = env(options.env);
    std::vector<std::string> argv{natty_bin()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, options);
}

std::unique_ptr<Child> Sandbox::spawn_natty(const std::vector<std::string>& args,
                                            RunOptions options) const {
    options.env = env(options.env);
    std::vector<std::string> argv{natty_bin()};
    argv.insert(argv.end(), args.begin(), args.end());
    return Child::spawn(argv, options);
}

} // namespace natty::test
