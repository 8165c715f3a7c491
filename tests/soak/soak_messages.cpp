// L01: a million messages through `natty sub --raw` into a file; every one present, or exactly
// as many missing as natty says it dropped.
#include "soak.hpp"

#include <cctype>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <system_error>

namespace natty::soak {
namespace {

constexpr std::chrono::minutes k_budget{10};
// How long the file may stop growing before the subscriber is taken to have received all it will.
constexpr std::chrono::seconds k_quiet{3};
const std::string k_subject = "soak.messages";

// What the output file holds; each line should be the next of 1..N (the body `{{Count}}`).
struct FileTally {
    std::int64_t lines = 0;
    std::int64_t unique = 0;
    // Lines not greater than the one before: duplicates or reordering.
    std::int64_t out_of_order = 0;
    // Lines that are not a number in 1..N.
    std::int64_t malformed = 0;
};

FileTally tally_file(const std::filesystem::path& path, std::int64_t total) {
    FileTally tally;
    std::vector<bool> seen(static_cast<std::size_t>(total) + 1, false);
    std::ifstream in(path);
    std::string line;
    std::int64_t previous = 0;
    while (std::getline(in, line)) {
        ++tally.lines;
        std::int64_t value = 0;
        const char* end = line.data() + line.size();
        const auto [ptr, ec] = std::from_chars(line.data(), end, value);
        if (ec != std::errc() || ptr != end || value < 1 || value > total) {
            ++tally.malformed;
            continue;
        }
        if (value <= previous) {
            ++tally.out_of_order;
        }
        previous = value;
        if (!seen[static_cast<std::size_t>(value)]) {
            seen[static_cast<std::size_t>(value)] = true;
            ++tally.unique;
        }
    }
    return tally;
}

// Size of the file when every message 1..N arrived: each is its decimal digits plus a newline.
std::uintmax_t expected_bytes(std::int64_t total) {
    std::uintmax_t bytes = 0;
    for (std::int64_t i = 1; i <= total; ++i) {
        bytes += std::to_string(i).size() + 1;
    }
    return bytes;
}

// The number after `label` at the start of a line of natty's summary ("Received 1,234
// messages"), or -1 when there is no such line.
std::int64_t summary_number(const std::string& err, const std::string& label) {
    for (std::size_t at = err.find(label); at != std::string::npos; at = err.find(label, at + 1)) {
        if (at != 0 && err[at - 1] != '\n') {
            continue;
        }
        std::int64_t value = 0;
        bool any = false;
        for (std::size_t i = at + label.size(); i < err.size(); ++i) {
            if (std::isdigit(static_cast<unsigned char>(err[i])) != 0) {
                value = value * 10 + (err[i] - '0');
                any = true;
            } else if (err[i] != ',') {
                break;
            }
        }
        if (any) {
            return value;
        }
    }
    return -1;
}

// Waits until the file is complete or has stopped growing; returns when it last grew.
Clock::time_point wait_for_file(const std::filesystem::path& path,
                                std::uintmax_t complete,
                                test::Child& sub,
                                const Deadline& deadline) {
    std::uintmax_t size = 0;
    auto last_change = Clock::now();
    while (size < complete && !deadline.expired() && Clock::now() - last_change < k_quiet) {
        // Reading natty's stderr meanwhile keeps its slow-consumer warnings from filling the pipe.
        pump_output(sub, std::chrono::milliseconds(20), /*on_stderr=*/true);
        std::error_code ec;
        const std::uintmax_t now_size = std::filesystem::file_size(path, ec);
        if (!ec && now_size != size) {
            size = now_size;
            last_change = Clock::now();
        }
        if (sub.exited()) {
            break;
        }
    }
    return last_change;
}

double seconds_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double>(to - from).count();
}

std::string rate(std::int64_t count, double seconds) {
    return with_commas(seconds > 0 ? static_cast<std::int64_t>(static_cast<double>(count) / seconds)
                                   : 0);
}

// The figures and checks once the subscriber has ended.
void report(Checks& checks,
            const Config& config,
            const FileTally& tally,
            const test::RunResult& sub_result,
            double seconds) {
    const std::int64_t summary_received = summary_number(sub_result.err, "Received ");
    const std::int64_t summary_dropped = summary_number(sub_result.err, "Dropped ");
    const std::int64_t dropped = std::max<std::int64_t>(summary_dropped, 0);
    const std::int64_t missing = config.messages - tally.unique;
    std::printf("messages: received %s, dropped %s, missing %s in %.2f s (%s msgs/s)\n",
                with_commas(tally.lines).c_str(),
                with_commas(dropped).c_str(),
                with_commas(missing).c_str(),
                seconds,
                rate(tally.lines, seconds).c_str());
    checks.expect(sub_result.exit_code == 130,
                  "sub did not exit 130 on SIGINT but " + std::to_string(sub_result.exit_code)
                      + ": " + sub_result.err);
    checks.expect(tally.malformed == 0,
                  with_commas(tally.malformed) + " lines are not a sequence number in range");
    checks.expect(tally.out_of_order == 0,
                  with_commas(tally.out_of_order) + " lines are duplicated or out of order");
    checks.expect(summary_received == tally.lines,
                  "natty's summary says " + with_commas(summary_received)
                      + " messages received, the file holds " + with_commas(tally.lines));
    checks.expect(missing == dropped,
                  with_commas(missing) + " messages missing but natty reported "
                      + with_commas(dropped) + " dropped");
}

} // namespace

Checks run_messages(const Config& config) {
    Checks checks("messages");
    const Deadline deadline(k_budget);
    const auto server = start_server(config, "messages");
    const std::filesystem::path file = config.work_dir / "messages.out";
    test::RunOptions options;
    options.env = natty_env(config);
    std::vector<std::string> argv{"/bin/sh", "-c", "exec \"$@\" > \"$0\"", file.string()};
    for (std::string& arg : natty_args(config, *server, {"sub", k_subject, "--raw"})) {
        argv.push_back(std::move(arg));
    }
    const auto sub = test::Child::spawn(argv, options);
    if (!sub->wait_for_output("Subscribing on", std::chrono::seconds(10), /*on_stderr=*/true)) {
        checks.fail("natty sub did not start: " + sub->err());
        return checks;
    }

    const auto start = Clock::now();
    options.timeout = deadline.remaining();
    const test::RunResult pub = test::run(
        natty_args(config,
                   *server,
                   {"pub", k_subject, "{{Count}}", "--count", std::to_string(config.messages)}),
        options);
    const double pub_seconds = seconds_between(start, Clock::now());
    std::printf("messages: published %s in %.2f s (%s msgs/s)\n",
                with_commas(config.messages).c_str(),
                pub_seconds,
                rate(config.messages, pub_seconds).c_str());
    checks.expect(pub.exit_code == 0,
                  "natty pub exited " + std::to_string(pub.exit_code)
                      + (pub.timed_out ? " (timed out)" : "") + ": " + pub.err);

    const auto last = wait_for_file(file, expected_bytes(config.messages), *sub, deadline);
    checks.expect(!deadline.expired(), "the phase ran out of time");
    sub->signal(SIGINT);
    const test::RunResult sub_result = sub->wait(std::chrono::seconds(10));
    report(checks,
           config,
           tally_file(file, config.messages),
           sub_result,
           seconds_between(start, last));
    std::printf("messages: server slow consumers %lld\n",
                static_cast<long long>(monitor_number(*server, "/varz", "slow_consumers")));
    std::filesystem::remove(file);
    return checks;
}

} // namespace natty::soak
