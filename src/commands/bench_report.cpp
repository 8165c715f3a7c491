#include "bench_common.hpp"

#include <natty/output/output.hpp>
#include <natty/util/atomic_file.hpp>
#include <natty/util/printable.hpp>
#include <natty/util/utf8.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace natty::bench {
namespace {

constexpr double k_mib = 1024.0 * 1024.0;
// Rows and width of the text histogram of latencies.
constexpr std::size_t k_histogram_rows = 10;
constexpr double k_histogram_width = 40;

// The percentiles every report gives, with their JSON and CSV names.
struct Percentile {
    double percent;
    const char* label;
    const char* key;
};
constexpr Percentile k_percentiles[] = {{50, "p50", "p50_ns"},
                                        {90, "p90", "p90_ns"},
                                        {99, "p99", "p99_ns"},
                                        {99.9, "p99.9", "p99_9_ns"}};

double rate(std::uint64_t n, double seconds) {
    return seconds > 0 ? static_cast<double>(n) / seconds : 0.0;
}

std::string fixed(double value, int decimals) {
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
    return text;
}

// 2439024.4 -> "2,439,024".
std::string whole(double value) {
    return output::with_commas(static_cast<std::uint64_t>(std::llround(std::max(value, 0.0))));
}

// "1,234 msgs/s ~ 1.21 MiB/s"
std::string rates(std::uint64_t msgs, std::uint64_t bytes, double seconds, const char* unit) {
    return whole(rate(msgs, seconds)) + " " + unit + "/s ~ "
           + fixed(rate(bytes, seconds) / k_mib, 2) + " MiB/s";
}

const char* unit_of(const Phase& phase) {
    return phase.name == "put" || phase.name == "get" ? "ops" : "msgs";
}

std::string title_of(const std::string& name) {
    static constexpr std::pair<std::string_view, std::string_view> k_titles[] = {
        {"pub", "Pub"},
        {"sub", "Sub"},
        {"request", "Request"},
        {"reply", "Reply"},
        {"put", "KV put"},
        {"get", "KV get"}};
    for (const auto& [phase, title] : k_titles) {
        if (name == phase) {
            return std::string(title);
        }
    }
    return name;
}

nlohmann::json latency_json(const Histogram& h) {
    nlohmann::json j = {{"count", h.count()},
                        {"min_ns", h.min()},
                        {"mean_ns", std::llround(h.mean())},
                        {"max_ns", h.max()},
                        {"stddev_ns", std::llround(h.stddev())}};
    for (const auto& p : k_percentiles) {
        j[p.key] = h.percentile(p.percent);
    }
    return j;
}

nlohmann::json
counts_json(std::uint64_t msgs, std::uint64_t bytes, std::uint64_t dropped, double seconds) {
    return {{"msgs", msgs},
            {"bytes", bytes},
            {"dropped", dropped},
            {"elapsed_s", seconds},
            {"msgs_per_sec", rate(msgs, seconds)},
            {"bytes_per_sec", rate(bytes, seconds)}};
}

// `text` padded with spaces to `width` characters (not bytes: "µs" is three bytes, two characters).
std::string padded(const std::string& text, std::size_t width, bool right_align) {
    std::size_t chars = 0;
    for (std::size_t i = 0; i < text.size(); ++chars) {
        i += std::max<std::size_t>(1, utf8_sequence_length(std::string_view(text).substr(i)));
    }
    const std::string fill(chars < width ? width - chars : 0, ' ');
    return right_align ? fill + text : text + fill;
}

void write_latency(Io& io, const Histogram& h) {
    std::string line = "  Latency: min " + format_latency(h.min());
    for (const auto& p : k_percentiles) {
        line += "  " + std::string(p.label) + " " + format_latency(h.percentile(p.percent));
    }
    line += "  max " + format_latency(h.max()) + "  (mean "
            + format_latency(static_cast<std::uint64_t>(std::llround(h.mean()))) + ", "
            + output::count_of(h.count(), "sample") + ")";
    io.out << line << '\n';
    std::uint64_t most = 0;
    const auto rows = h.rows(k_histogram_rows);
    for (const auto& row : rows) {
        most = std::max(most, row.count);
    }
    for (const auto& row : rows) {
        const double share = static_cast<double>(row.count) / static_cast<double>(h.count());
        const auto width = most == 0 ? 0
                                     : static_cast<std::size_t>(std::llround(
                                         k_histogram_width * static_cast<double>(row.count)
                                         / static_cast<double>(most)));
        const std::string range = padded(format_latency(row.low), 9, true) + " - "
                                  + padded(format_latency(row.high), 9, false);
        std::string bar(width, '#');
        bar.resize(static_cast<std::size_t>(k_histogram_width), ' ');
        io.out << "    " << range << " |" << bar << "| " << fixed(share * 100, 1) << "% ("
               << output::with_commas(row.count) << ")\n";
    }
}

void write_phase(Io& io, const Phase& phase) {
    const char* unit = unit_of(phase);
    const double secs = phase.seconds();
    io.out << title_of(phase.name) << " stats: " << rates(phase.msgs(), phase.bytes(), secs, unit)
           << " (" << output::with_commas(phase.msgs()) << " " << unit << " in "
           << format_latency(static_cast<std::uint64_t>(secs * 1e9)) << ")\n";
    if (phase.dropped() > 0) {
        io.out << "  Dropped: " << output::count_of(phase.dropped(), "message")
               << " (slow consumer: nats.c's buffer overflowed; the rate above excludes them)\n";
    }
    if (phase.clients.size() > 1) {
        std::vector<double> per_client;
        for (std::size_t i = 0; i < phase.clients.size(); ++i) {
            const auto& c = phase.clients[i];
            io.out << "  [" << i + 1 << "] " << rates(c.msgs, c.bytes, c.seconds(), unit) << " ("
                   << output::with_commas(c.msgs) << " " << unit
                   << (c.dropped > 0 ? ", " + output::with_commas(c.dropped) + " dropped" : "")
                   << ")\n";
            per_client.push_back(rate(c.msgs, c.seconds()));
        }
        const auto [lo, hi] = std::minmax_element(per_client.begin(), per_client.end());
        double sum = 0;
        double squares = 0;
        for (const double r : per_client) {
            sum += r;
            squares += r * r;
        }
        const double n = static_cast<double>(per_client.size());
        const double mean = sum / n;
        io.out << "  min " << whole(*lo) << " | avg " << whole(mean) << " | max " << whole(*hi)
               << " | stddev " << whole(std::sqrt(std::max(squares / n - mean * mean, 0.0))) << " "
               << unit << "/s\n";
    }
    if (phase.timed && phase.msgs() > 0) {
        write_latency(io, phase.latency());
    }
}

void write_text(Io& io, const Report& report) {
    io.out << "Benchmark " << report.benchmark << " on " << report.target_key << " \""
           << printable(report.target) << "\": " << output::count_of(report.clients, "client");
    if (report.size) {
        io.out << ", " << output::human_bytes(*report.size) << " per message";
    }
    io.out << "\n";
    for (const auto& phase : report.phases) {
        write_phase(io, phase);
    }
    if (report.phases.size() == 2 && report.benchmark == "kv") {
        const auto ops = report.phases[0].msgs() + report.phases[1].msgs();
        const double secs = report.phases[0].seconds() + report.phases[1].seconds();
        io.out << "KV put+get: " << whole(rate(ops, secs)) << " ops/s (" << output::with_commas(ops)
               << " ops)\n";
    }
}

} // namespace

double ClientResult::seconds() const {
    return first ? std::chrono::duration<double>(last - *first).count() : 0.0;
}

std::uint64_t Phase::msgs() const {
    std::uint64_t n = 0;
    for (const auto& c : clients) {
        n += c.msgs;
    }
    return n;
}

std::uint64_t Phase::bytes() const {
    std::uint64_t n = 0;
    for (const auto& c : clients) {
        n += c.bytes;
    }
    return n;
}

std::uint64_t Phase::dropped() const {
    std::uint64_t n = 0;
    for (const auto& c : clients) {
        n += c.dropped;
    }
    return n;
}

double Phase::seconds() const {
    std::optional<Clock::time_point> first;
    std::optional<Clock::time_point> last;
    for (const auto& c : clients) {
        if (c.first) {
            first = first ? std::min(*first, *c.first) : *c.first;
            last = last ? std::max(*last, c.last) : c.last;
        }
    }
    return first ? std::chrono::duration<double>(*last - *first).count() : 0.0;
}

Histogram Phase::latency() const {
    Histogram all;
    for (const auto& c : clients) {
        all.merge(c.latency);
    }
    return all;
}

nlohmann::json report_json(const Report& report) {
    nlohmann::json doc = {
        {"benchmark", report.benchmark},
        {report.target_key, report.target},
        {"clients", report.clients},
        {"msg_size", report.size ? nlohmann::json(*report.size) : nlohmann::json()},
        {"interrupted", report.interrupted},
        {"phases", nlohmann::json::array()}};
    for (const auto& phase : report.phases) {
        nlohmann::json p =
            counts_json(phase.msgs(), phase.bytes(), phase.dropped(), phase.seconds());
        p["name"] = phase.name;
        p["clients"] = nlohmann::json::array();
        for (std::size_t i = 0; i < phase.clients.size(); ++i) {
            const auto& c = phase.clients[i];
            nlohmann::json client = counts_json(c.msgs, c.bytes, c.dropped, c.seconds());
            client["client"] = i + 1;
            p["clients"].push_back(std::move(client));
        }
        if (phase.timed) {
            p["latency"] = latency_json(phase.latency());
        }
        doc["phases"].push_back(std::move(p));
    }
    return doc;
}

std::string report_csv(const Report& report) {
    std::string csv = "benchmark,phase,client,msgs,bytes,dropped,elapsed_s,msgs_per_sec,"
                      "bytes_per_sec";
    for (const auto& p : k_percentiles) {
        csv += std::string(",") + p.key;
    }
    csv += "\n";
    auto row = [&](const std::string& phase,
                   const std::string& client,
                   std::uint64_t msgs,
                   std::uint64_t bytes,
                   std::uint64_t dropped,
                   double secs,
                   const Histogram* h) {
        csv += report.benchmark + "," + phase + "," + client + "," + std::to_string(msgs) + ","
               + std::to_string(bytes) + "," + std::to_string(dropped) + "," + fixed(secs, 6) + ","
               + fixed(rate(msgs, secs), 1) + "," + fixed(rate(bytes, secs), 1);
        for (const auto& p : k_percentiles) {
            csv += ",";
            if (h != nullptr) {
                csv += std::to_string(h->percentile(p.percent));
            }
        }
        csv += "\n";
    };
    for (const auto& phase : report.phases) {
        for (std::size_t i = 0; i < phase.clients.size(); ++i) {
            const auto& c = phase.clients[i];
            row(phase.name,
                std::to_string(i + 1),
                c.msgs,
                c.bytes,
                c.dropped,
                c.seconds(),
                phase.timed ? &c.latency : nullptr);
        }
        const Histogram all = phase.latency();
        row(phase.name,
            "all",
            phase.msgs(),
            phase.bytes(),
            phase.dropped(),
            phase.seconds(),
            phase.timed ? &all : nullptr);
    }
    return csv;
}

void print_report(Io& io, const Report& report, const BenchOptions& options) {
    const bool csv_instead = options.csv == "-";
    if (!options.csv.empty() && !csv_instead) {
        write_file_atomic(options.csv, report_csv(report), 0644);
    }
    errno = 0;
    if (csv_instead) {
        io.out << report_csv(report);
    } else if (options.json) {
        output::write_json(io, report_json(report));
    } else {
        write_text(io, report);
    }
    io.flush_out();
    std::uint64_t dropped = 0;
    for (const auto& phase : report.phases) {
        dropped += phase.dropped();
    }
    if (dropped > 0) {
        io.note("natty: warning: " + output::count_of(dropped, "message")
                + " dropped by slow consumers; the subscriber could not keep up");
    }
}

} // namespace natty::bench
