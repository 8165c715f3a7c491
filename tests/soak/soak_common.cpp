#include "soak.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <system_error>

namespace natty::soak {

bool Checks::expect(bool ok, const std::string& what) {
    if (!ok) {
        // One line per failed check, even when it quotes natty's stderr.
        std::string line = m_phase + ": " + what;
        while (!line.empty() && line.back() == '\n') {
            line.pop_back();
        }
        for (std::size_t at = line.find('\n'); at != std::string::npos; at = line.find('\n', at)) {
            line.replace(at, 1, " | ");
        }
        m_failures.push_back(line);
    }
    return ok;
}

std::chrono::milliseconds Deadline::remaining() const {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(m_end - Clock::now());
    return std::max(left, std::chrono::milliseconds(1));
}

std::map<std::string, std::string> natty_env(const Config& config) {
    const std::filesystem::path home = config.work_dir / "home";
    std::filesystem::create_directories(home / "config");
    return {{"HOME", home.string()}, {"XDG_CONFIG_HOME", (home / "config").string()}};
}

std::vector<std::string>
natty_args(const Config& config, const test::NatsServer& server, std::vector<std::string> args) {
    std::vector<std::string> argv{config.natty, "-s", server.url()};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

std::unique_ptr<test::NatsServer>
start_server(const Config& config, const std::string& name, const std::string& extra_config) {
    test::ServerOptions options;
    options.extra_config = extra_config;
    return test::NatsServer::start(options, config.work_dir / name);
}

std::int64_t
monitor_number(const test::NatsServer& server, const std::string& path, const std::string& field) {
    const test::HttpResponse response = server.monitor(path);
    if (response.status != 200) {
        return -1;
    }
    const auto json = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
    if (!json.is_object() || !json.contains(field) || !json[field].is_number_integer()) {
        return -1;
    }
    return json[field].get<std::int64_t>();
}

int fd_count(const std::string& pid) {
    std::error_code ec;
    std::filesystem::directory_iterator it("/proc/" + pid + "/fd", ec);
    if (ec) {
        return -1;
    }
    int count = 0;
    for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
        if (ec) {
            return -1;
        }
        ++count;
    }
    // Listing our own fds opens one more (the directory itself): leave it out.
    return pid == "self" ? count - 1 : count;
}

std::string with_commas(std::int64_t n) {
    std::string digits = std::to_string(n < 0 ? -n : n);
    for (std::size_t i = digits.size(); i > 3; i -= 3) {
        digits.insert(i - 3, ",");
    }
    return (n < 0 ? "-" : "") + digits;
}

void pump_output(test::Child& child, std::chrono::milliseconds duration, bool on_stderr) {
    // A needle that natty never prints (a NUL byte), so this reads until the time is up or the
    // stream closes.
    static_cast<void>(child.wait_for_output(std::string(1, '\0'), duration, on_stderr));
}

std::size_t occurrences(const std::string& text, const std::string& needle) {
    std::size_t count = 0;
    for (std::size_t at = text.find(needle); at != std::string::npos;
         at = text.find(needle, at + needle.size())) {
        ++count;
    }
    return count;
}

} // namespace natty::soak
