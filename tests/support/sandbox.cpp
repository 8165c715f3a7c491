#include "sandbox.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <sys/stat.h>

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

std::unique_ptr<Child> Sandbox::spawn_subscribed(const std::vector<std::string>& args,
                                                 RunOptions options) const {
    auto child = spawn_natty(args, std::move(options));
    REQUIRE(child->wait_for_output("Subscribing", std::chrono::seconds(10), true));
    return child;
}

std::vector<std::string> with_server(const NatsServer& server, std::vector<std::string> args) {
    args.insert(args.begin(), {"-s", server.url()});
    return args;
}

std::string slurp(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

unsigned mode_of(const std::filesystem::path& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    return lines;
}

std::vector<nlohmann::json> json_lines(const std::string& text) {
    std::vector<nlohmann::json> docs;
    for (const auto& line : lines_of(text)) {
        if (!line.empty()) {
            docs.push_back(nlohmann::json::parse(line));
        }
    }
    return docs;
}

std::unique_ptr<Child>
start_sub(const Sandbox& sandbox, const NatsServer& server, std::vector<std::string> args) {
    args.insert(args.begin(), "sub");
    return sandbox.spawn_subscribed(with_server(server, std::move(args)));
}

} // namespace natty::test
