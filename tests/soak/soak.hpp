#pragma once

#include "nats_server.hpp"
#include "process.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

// The soak run (reliability catalogue L01, L03, L04): long, outside ctest, one command.
namespace natty::soak {

using Clock = std::chrono::steady_clock;

// What the run drives and how big each phase is; counts are already scaled.
struct Config {
    std::string natty;
    std::int64_t messages = 1'000'000;
    std::int64_t processes = 10'000;
    int restarts = 20;
    std::chrono::milliseconds restart_interval{1500};
    // Scratch space for servers, output files and natty's HOME; removed at the end.
    std::filesystem::path work_dir;
};

// The failed checks of one phase, one line each; empty means the phase passed.
class Checks {
public:
    explicit Checks(std::string phase) : m_phase(std::move(phase)) {}

    // Records "<phase>: <what>" unless ok; returns ok.
    bool expect(bool ok, const std::string& what);
    void fail(const std::string& what) { expect(false, what); }
    const std::vector<std::string>& failures() const { return m_failures; }

private:
    std::string m_phase;
    std::vector<std::string> m_failures;
};

// A phase's time budget: it fails (rather than hangs) once this has passed.
class Deadline {
public:
    explicit Deadline(std::chrono::milliseconds budget) : m_end(Clock::now() + budget) {}

    bool expired() const { return Clock::now() >= m_end; }
    // Time left, at least 1 ms so it can be passed as a timeout.
    std::chrono::milliseconds remaining() const;

private:
    Clock::time_point m_end;
};

// natty's environment: HOME and XDG_CONFIG_HOME in the work dir, so no real context applies.
std::map<std::string, std::string> natty_env(const Config& config);

// natty's argv: `natty -s <server url>` followed by args.
std::vector<std::string>
natty_args(const Config& config, const test::NatsServer& server, std::vector<std::string> args);

// A nats-server on free loopback ports, living in <work_dir>/<name>.
std::unique_ptr<test::NatsServer>
start_server(const Config& config, const std::string& name, const std::string& extra_config = "");

// An integer field of a monitoring endpoint's JSON (e.g. "/connz", "num_connections"), or -1.
std::int64_t
monitor_number(const test::NatsServer& server, const std::string& path, const std::string& field);

// Open descriptors of a process ("self" for this one), or -1 if /proc cannot tell.
int fd_count(const std::string& pid);

// "1,234,567"
std::string with_commas(std::int64_t n);

// Reads the child's output for `duration` (less if the watched stream closes) without waiting
// for anything in particular.
void pump_output(test::Child& child, std::chrono::milliseconds duration, bool on_stderr = false);

// How often `needle` occurs in `text`.
std::size_t occurrences(const std::string& text, const std::string& needle);

// The phases; each starts its own server(s) and stops every process it started.
Checks run_messages(const Config& config);
Checks run_processes(const Config& config);
Checks run_reconnect(const Config& config);

} // namespace natty::soak
