// L03: a long-running `natty sub` while its server restarts again and again; it resumes
// receiving after every restart, and its RSS, descriptors and threads stay flat after warm-up.
#include "soak.hpp"

#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace natty::soak {
namespace {

// Samples taken before the figures must be flat: connection buffers and threads settle first.
constexpr std::size_t k_warmup = 3;
constexpr std::int64_t k_window_messages = 50;
// RSS may grow by 10 % or 2 MiB over the first sample after warm-up, whichever is more.
constexpr double k_rss_growth = 1.10;
constexpr std::int64_t k_rss_slack_kb = 2048;
constexpr std::chrono::seconds k_reconnect_wait{15};
constexpr std::chrono::seconds k_window_wait{10};
const std::string k_subject = "soak.reconnect";
const std::string k_reconnected = "natty: reconnected to";

// One sample of the subscriber, taken at the end of a window (just before the next restart).
struct Sample {
    int restart = 0; // 0: before the first restart
    std::int64_t rss_kb = -1;
    int fds = -1;
    int threads = -1;
    // Messages of this window the subscriber printed.
    std::int64_t received = 0;
};

// Fills in VmRSS and Threads from /proc/<pid>/status and the descriptor count.
void read_process(pid_t pid, Sample& sample) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        std::istringstream fields(line);
        std::string key;
        fields >> key;
        if (key == "VmRSS:") {
            fields >> sample.rss_kb;
        } else if (key == "Threads:") {
            fields >> sample.threads;
        }
    }
    sample.fds = fd_count(std::to_string(pid));
}

std::string window_tag(int window) {
    return "window " + std::to_string(window) + " message ";
}

// Publishes the window's messages until the subscriber has printed the last one or the time is
// up (a publish that raced the resubscription is repeated); returns how many it printed.
std::int64_t
publish_window(const Config& config, const test::NatsServer& server, test::Child& sub, int window) {
    const std::string tag = window_tag(window);
    const std::string last = tag + std::to_string(k_window_messages) + "\n";
    test::RunOptions options;
    options.env = natty_env(config);
    options.timeout = k_window_wait;
    const auto end = Clock::now() + k_window_wait;
    while (Clock::now() < end) {
        static_cast<void>(test::run(natty_args(config,
                                               server,
                                               {"pub",
                                                k_subject,
                                                tag + "{{Count}}",
                                                "--count",
                                                std::to_string(k_window_messages)}),
                                    options));
        if (sub.wait_for_output(last, std::chrono::seconds(1))) {
            break;
        }
    }
    return static_cast<std::int64_t>(occurrences(sub.out(), tag));
}

// Reads the subscriber's stderr until it has logged `count` reconnections or the time is up.
bool wait_for_reconnects(test::Child& sub, std::size_t count) {
    const auto end = Clock::now() + k_reconnect_wait;
    while (occurrences(sub.err(), k_reconnected) < count && Clock::now() < end && !sub.exited()) {
        pump_output(sub, std::chrono::milliseconds(20), /*on_stderr=*/true);
    }
    return occurrences(sub.err(), k_reconnected) >= count;
}

void print_table(const std::vector<Sample>& samples) {
    std::printf(
        "reconnect: %7s %9s %4s %7s %8s\n", "restart", "rss_kb", "fds", "threads", "received");
    for (const Sample& s : samples) {
        std::printf("reconnect: %7d %9lld %4d %7d %8lld%s\n",
                    s.restart,
                    static_cast<long long>(s.rss_kb),
                    s.fds,
                    s.threads,
                    static_cast<long long>(s.received),
                    samples.size() > k_warmup && &s < &samples[k_warmup] ? "  (warm-up)" : "");
    }
}

// Every window received something, and after warm-up nothing grew past its allowance.
void check_samples(Checks& checks, const std::vector<Sample>& samples) {
    for (const Sample& s : samples) {
        checks.expect(s.received > 0,
                      "nothing received after restart " + std::to_string(s.restart));
    }
    if (!checks.expect(samples.size() > k_warmup + 1,
                       "too few samples to judge flatness (raise --restarts above "
                           + std::to_string(k_warmup) + ")")) {
        return;
    }
    const Sample& base = samples[k_warmup];
    const auto rss_limit =
        std::max(static_cast<std::int64_t>(static_cast<double>(base.rss_kb) * k_rss_growth),
                 base.rss_kb + k_rss_slack_kb);
    for (std::size_t i = k_warmup + 1; i < samples.size(); ++i) {
        const Sample& s = samples[i];
        const std::string at = " at restart " + std::to_string(s.restart) + " (baseline at "
                               + std::to_string(base.restart) + ")";
        checks.expect(s.rss_kb <= rss_limit,
                      "RSS grew to " + std::to_string(s.rss_kb) + " kB from "
                          + std::to_string(base.rss_kb) + " kB" + at);
        checks.expect(s.fds == base.fds,
                      "fds went from " + std::to_string(base.fds) + " to " + std::to_string(s.fds)
                          + at);
        checks.expect(s.threads == base.threads,
                      "threads went from " + std::to_string(base.threads) + " to "
                          + std::to_string(s.threads) + at);
    }
}

// Publishes window `restart`, waits out the rest of the interval and samples the subscriber.
Sample run_window(const Config& config,
                  const test::NatsServer& server,
                  test::Child& sub,
                  int restart,
                  Clock::time_point window_start) {
    Sample sample;
    sample.restart = restart;
    sample.received = publish_window(config, server, sub, restart);
    const auto elapsed = Clock::now() - window_start;
    if (elapsed < config.restart_interval) {
        pump_output(sub,
                    std::chrono::duration_cast<std::chrono::milliseconds>(config.restart_interval
                                                                          - elapsed));
    }
    read_process(sub.pid(), sample);
    return sample;
}

} // namespace

Checks run_reconnect(const Config& config) {
    Checks checks("reconnect");
    const Deadline deadline(std::chrono::seconds(60) + config.restarts * std::chrono::seconds(30));
    const auto server = start_server(config, "reconnect");
    test::RunOptions options;
    options.env = natty_env(config);
    const auto sub =
        test::Child::spawn(natty_args(config, *server, {"sub", k_subject, "--raw"}), options);
    if (!sub->wait_for_output("Subscribing on", std::chrono::seconds(10), /*on_stderr=*/true)) {
        checks.fail("natty sub did not start: " + sub->err());
        return checks;
    }
    std::vector<Sample> samples{run_window(config, *server, *sub, 0, Clock::now())};
    for (int restart = 1; restart <= config.restarts && !deadline.expired(); ++restart) {
        const auto window_start = Clock::now();
        server->restart();
        if (!checks.expect(wait_for_reconnects(*sub, static_cast<std::size_t>(restart)),
                           "no reconnection logged after restart " + std::to_string(restart))) {
            break;
        }
        samples.push_back(run_window(config, *server, *sub, restart, window_start));
    }
    checks.expect(!deadline.expired(), "the phase ran out of time");
    sub->signal(SIGINT);
    const test::RunResult result = sub->wait(std::chrono::seconds(10));
    print_table(samples);
    check_samples(checks, samples);
    const auto reconnects = occurrences(result.err, k_reconnected);
    std::printf("reconnect: %zu restarts, %zu reconnections logged, %zu disconnections logged\n",
                samples.size() - 1,
                reconnects,
                occurrences(result.err, "natty: disconnected"));
    checks.expect(reconnects == samples.size() - 1,
                  std::to_string(reconnects) + " reconnections logged for "
                      + std::to_string(samples.size() - 1) + " restarts");
    checks.expect(result.exit_code == 130,
                  "sub did not exit 130 on SIGINT but " + std::to_string(result.exit_code));
    return checks;
}

} // namespace natty::soak
