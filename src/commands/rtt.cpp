#include <natty/commands/options.hpp>
#include <natty/commands/rtt.hpp>
#include <natty/error.hpp>
#include <natty/context/connect.hpp>
#include <natty/diagnose/connect.hpp>
#include <natty/nats/connection.hpp>
#include <natty/net/probe.hpp>
#include <natty/net/socket.hpp>
#include <natty/output/output.hpp>
#include <natty/util/duration.hpp>
#include <natty/util/time.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <ctime>

namespace natty {
namespace {

using Clock = std::chrono::steady_clock;
constexpr long k_max_iterations = 100000;

// One resolved address of one URL and what measuring it gave.
struct Target {
    std::string address; // "127.0.0.1", "::1"
    std::string url;     // redacted URL of this address
    std::vector<Duration> samples;
    std::string error;
    ExitCode error_code = ExitCode::ok;
    std::string time; // RFC 3339 UTC time of the measurement
};

struct UrlReport {
    std::string url; // redacted, as configured
    std::vector<Target> targets;
};

long parse_iterations(const std::string& text) {
    if (const auto problem = number_problem(text, {1, k_max_iterations})) {
        throw UsageError("invalid ITERATIONS: " + *problem, "e.g. `natty rtt 10`");
    }
    return std::stol(text);
}

// Every distinct address of the URL's host, in resolver order; an IP literal is itself.
std::vector<std::string> resolve(const ServerUrl& url, std::string& error) {
    if (url.host_is_ip()) {
        return {url.host};
    }
    const net::AddrInfoPtr list = net::resolve_tcp(url.host, url.port, error);
    std::vector<std::string> addresses;
    for (const addrinfo* ai = list.get(); ai != nullptr; ai = ai->ai_next) {
        std::string address = net::address_text(ai->ai_addr);
        if (!address.empty()
            && std::find(addresses.begin(), addresses.end(), address) == addresses.end()) {
            addresses.push_back(std::move(address));
        }
    }
    return addresses;
}

// Records why connecting to one address failed. nats.c says only "No server available" for a
// refused connection and "Timeout" for a silent server; the first is asked of a raw probe (fast,
// as the port refuses), the second is a connect failure (4), not a timeout on a connection (8).
void connect_failed(const Settings& settings,
                    const ServerUrl& one,
                    const nats::ConnectError& failure,
                    Target& target) {
    if (failure.timed_out()) {
        target.error_code = ExitCode::connect;
        target.error = "cannot connect: timed out after " + format_go_duration(settings.timeout);
        return;
    }
    target.error_code = failure.code();
    target.error = "cannot connect: " + failure.reason();
    if (failure.no_server()) {
        net::ProbeOptions options;
        options.timeout = settings.timeout;
        const auto probe = net::probe(one, options);
        if (probe.failed_at == net::ProbeStage::dns || probe.failed_at == net::ProbeStage::tcp) {
            target.error = "cannot connect: " + probe.error;
        }
    }
}

// Connects to one address (TLS still verifies the original host name) and times N PING/PONGs.
void measure(const Settings& settings, const ServerUrl& url, long iterations, Target& target) {
    ServerUrl one = url;
    one.host = target.address;
    target.url = one.redacted();
    target.time = rfc3339_utc(std::chrono::system_clock::now());
    Settings single = settings;
    single.values.url = one.str();
    nats::ConnectSpec spec = connect_spec(single, false);
    if (!url.host_is_ip()) {
        spec.expected_hostname = url.host;
    }
    try {
        diagnose::require_readable_files(settings);
        auto connection = nats::Connection::connect(spec);
        for (long i = 0; i < iterations; ++i) {
            target.samples.push_back(connection.flush(settings.timeout, "PING/PONG"));
        }
    } catch (const nats::ConnectError& failure) {
        connect_failed(settings, one, failure, target);
    } catch (const Error& e) {
        target.error_code = e.code();
        target.error = e.what();
    }
}

Duration mean_of(const std::vector<Duration>& samples) {
    Duration total{};
    for (const auto& s : samples) {
        total += s;
    }
    return total / static_cast<long>(samples.size());
}

// Microsecond precision, Go style: "1.234ms", "412µs".
std::string micros(Duration d) {
    return format_go_duration(std::chrono::duration_cast<std::chrono::microseconds>(d));
}

// Measures every address of every configured URL.
std::vector<UrlReport> measure_all(const Settings& settings, long iterations) {
    std::vector<UrlReport> reports;
    for (const auto& url : settings.servers()) {
        UrlReport report;
        report.url = url.redacted();
        std::string error;
        const auto addresses = resolve(url, error);
        if (!error.empty()) {
            Target target;
            target.address = url.host;
            target.url = url.redacted();
            target.time = rfc3339_utc(std::chrono::system_clock::now());
            target.error = error;
            target.error_code = ExitCode::connect;
            report.targets.push_back(std::move(target));
        }
        for (const auto& address : addresses) {
            Target target;
            target.address = address;
            measure(settings, url, iterations, target);
            report.targets.push_back(std::move(target));
        }
        reports.push_back(std::move(report));
    }
    return reports;
}

void print_json(Io& io, const std::vector<UrlReport>& reports) {
    nlohmann::json doc = nlohmann::json::array();
    for (const auto& report : reports) {
        nlohmann::json results = nlohmann::json::array();
        for (const auto& t : report.targets) {
            nlohmann::json r = {{"time", t.time}, {"address", t.address}, {"url", t.url}};
            if (t.error.empty()) {
                const auto [min, max] = std::minmax_element(t.samples.begin(), t.samples.end());
                r["rtt"] = mean_of(t.samples).count();
                r["min"] = min->count();
                r["max"] = max->count();
                r["iterations"] = t.samples.size();
            } else {
                r["error"] = t.error;
            }
            results.push_back(std::move(r));
        }
        doc.push_back({{"url", report.url}, {"results", results}});
    }
    output::write_json(io, doc);
}

void print_text(Io& io, const std::vector<UrlReport>& reports) {
    for (const auto& report : reports) {
        io.out << report.url << ":\n\n";
        std::size_t width = 0;
        for (const auto& t : report.targets) {
            width = std::max(width, t.url.size());
        }
        for (const auto& t : report.targets) {
            io.out << "   " << std::string(width - t.url.size(), ' ') << t.url << ": ";
            if (t.error.empty()) {
                const auto [min, max] = std::minmax_element(t.samples.begin(), t.samples.end());
                io.out << micros(mean_of(t.samples)) << " (min " << micros(*min) << ", max "
                       << micros(*max) << ", " << t.samples.size() << " round trips)\n";
            } else {
                io.out << "failed: " << t.error << "\n";
            }
        }
        io.out << "\n";
    }
    io.flush_out();
}

// Ends with the first failure's exit code when any address could not be measured.
void raise_failures(const std::vector<UrlReport>& reports) {
    std::size_t failed = 0;
    std::size_t total = 0;
    ExitCode first = ExitCode::ok;
    for (const auto& report : reports) {
        for (const auto& t : report.targets) {
            ++total;
            if (!t.error.empty()) {
                first = failed++ == 0 ? t.error_code : first;
            }
        }
    }
    if (failed > 0) {
        const char* hint = first == ExitCode::denied ? "check --user/--password, --token or --creds"
                           : first == ExitCode::tls  ? "check --tlsca and the URL's host name"
                                                     : "is the server listening on every address?";
        throw Error(first == ExitCode::ok ? ExitCode::failure : first,
                    std::to_string(failed) + " of " + std::to_string(total)
                        + " addresses could not be measured (see the failed lines above)",
                    hint);
    }
}

} // namespace

void run_rtt(const RttOptions& options, Runtime& runtime) {
    const long iterations = parse_iterations(options.iterations);
    const auto reports = measure_all(runtime.settings(), iterations);
    if (options.json) {
        print_json(runtime.io(), reports);
    } else {
        print_text(runtime.io(), reports);
    }
    raise_failures(reports);
}

void setup_rtt(CLI::App& app, Runtime& runtime) {
    auto opts = std::make_shared<RttOptions>();
    auto* rtt = app.add_subcommand(
        "rtt",
        "Round-trip time to every server address (each resolved IP separately), e.g.\n"
        "  natty rtt 20 -s nats://a:4222,nats://b:4223");
    rtt->add_option("iterations", opts->iterations, "PING/PONG round trips per address (default 5)")
        ->type_name("ITERATIONS");
    rtt->add_flag("-j,--json", opts->json, "JSON output (durations in nanoseconds)");
    rtt->footer("Exit codes: 0 every address measured; otherwise the first failure's code\n"
                "(4 cannot connect or no answer in --timeout, 5 denied, 6 TLS, 8 a PING timed\n"
                "out) after reporting every address;\n"
                "2 usage.");
    rtt->callback([opts, &runtime] { run_rtt(*opts, runtime); });
}

} // namespace natty
