#include "sub_print.hpp"

#include "messaging.hpp"

#include <natty/error.hpp>
#include <natty/output/output.hpp>
#include <natty/util/duration.hpp>
#include <natty/util/json_escape.hpp>
#include <natty/util/printable.hpp>
#include <natty/util/subject.hpp>
#include <natty/util/time.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

namespace natty::sub_detail {
namespace {

constexpr std::size_t k_max_tracked_requests = 100'000;

} // namespace

bool Printer::handle(const Received& item) {
    const nats::Message& msg = item.msg;
    std::optional<Shown> numbered = number(msg);
    if (!numbered) {
        return false;
    }
    Shown& shown = *numbered;
    auto& stats = m_stats[std::string(msg.subject())];
    ++stats.messages;
    stats.bytes += msg.data().size();
    m_bytes += msg.data().size();
    if (!m_options.stream.empty() && m_mode != Mode::raw) {
        shown.position = msg.jetstream_position();
    }
    errno = 0;
    switch (m_mode) {
    case Mode::human:
        print_human(item, shown);
        break;
    case Mode::raw:
        print_raw(msg.data());
        break;
    case Mode::json:
        m_io.out << to_json(item, shown) << '\n';
        break;
    case Mode::dump_stdout:
        m_io.out << to_json(item, shown) << '\0';
        break;
    case Mode::dump_dir:
        dump_file(item, shown);
        break;
    }
    m_io.check_out();
    m_previous = item.time;
    ++m_shown;
    return !shown.matched;
}

std::optional<Shown> Printer::number(const nats::Message& msg) {
    const std::string_view subject = msg.subject();
    for (const auto& pattern : m_options.ignore) {
        if (subject_matches(pattern, subject)) {
            return std::nullopt;
        }
    }
    std::optional<std::uint64_t> matched;
    if (m_options.match_replies) {
        auto it = m_requests.find(std::string(subject));
        if (it != m_requests.end()) {
            matched = it->second;
            m_requests.erase(it);
        } else if (is_reply_inbox(subject)) {
            return std::nullopt;
        }
    }
    const std::uint64_t n = matched ? *matched : m_count + 1;
    if (!matched) {
        ++m_count;
        if (m_options.match_replies && !msg.reply().empty()
            && m_requests.size() < k_max_tracked_requests) {
            m_requests.emplace(std::string(msg.reply()), n);
        }
    }
    return Shown{n, matched.has_value(), std::nullopt};
}

void Printer::print_human(const Received& item, const Shown& shown) {
    const nats::Message& msg = item.msg;
    std::ostream& out = m_io.out;
    out << "[#" << shown.number << ']';
    if (m_options.timestamp) {
        out << " @ " << stamp_micro_local(item.time);
    } else if (m_options.delta_time) {
        out << " @ "
            << format_go_duration(
                   std::chrono::duration_cast<std::chrono::microseconds>(item.time - m_previous));
    }
    if (shown.matched) {
        out << " Matched reply on \"" << printable(msg.subject()) << "\"\n";
    } else if (const auto& js = shown.position) {
        out << " Received JetStream message: stream: " << printable(js->stream)
            << " seq: " << output::with_commas(js->stream_sequence)
            << " / subject: " << printable(msg.subject()) << " / time: " << rfc3339_nano_utc(js->time)
            << '\n';
    } else {
        out << " Received on \"" << printable(msg.subject()) << '"';
        if (!msg.reply().empty()) {
            out << " with reply \"" << printable(msg.reply()) << '"';
        }
        out << '\n';
    }
    if (m_options.subjects_only) {
        return;
    }
    const auto headers = msg.headers();
    for (const auto& line : messaging::header_lines(headers)) {
        out << line << '\n';
    }
    if (!headers.empty() || m_options.headers_only) {
        out << '\n';
    }
    if (m_options.headers_only) {
        return;
    }
    messaging::write_human_body(m_io, msg.data());
    out << '\n';
}

void Printer::print_raw(std::string_view body) {
    m_io.out << body;
    if (body.empty() || body.back() != '\n') {
        m_io.out << '\n';
    }
}

std::string Printer::to_json(const Received& item, const Shown& shown) const {
    std::string leading = "\"number\":" + std::to_string(shown.number);
    if (shown.matched) {
        leading += ",\"matched_reply\":true";
    }
    std::string trailing;
    if (const auto& js = shown.position) {
        trailing = "\"stream\":";
        append_json_string(trailing, js->stream);
        trailing += ",\"stream_seq\":" + std::to_string(js->stream_sequence) + ",\"stream_time\":\""
                    + rfc3339_nano_utc(js->time) + "\"";
    }
    return messaging::message_json(item.msg, item.time, leading, trailing);
}

// One file per message, mode 0600; a symlink in its place is refused (O_NOFOLLOW) and a
// file that cannot be written completely is removed, never left half-written.
void Printer::dump_file(const Received& item, const Shown& shown) {
    // As the Go CLI: a JetStream message is named by its stream sequence, so a dump of the
    // same stream range names the same message the same way each time.
    const std::uint64_t number = shown.position ? shown.position->stream_sequence : shown.number;
    const std::string name = std::to_string(number) + (shown.matched ? "_reply" : "") + ".json";
    const std::filesystem::path path = std::filesystem::path(m_options.dump) / name;
    const std::string text = to_json(item, shown) + "\n";
    const int fd =
        ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        throw Error(ExitCode::failure,
                    "cannot write " + path.string() + ": " + std::strerror(errno));
    }
    std::size_t written = 0;
    while (written < text.size()) {
        const ssize_t n_written = ::write(fd, text.data() + written, text.size() - written);
        if (n_written < 0 && errno == EINTR) {
            continue;
        }
        if (n_written <= 0) {
            const int saved = errno;
            ::close(fd);
            ::unlink(path.c_str());
            throw Error(ExitCode::failure,
                        "cannot write " + path.string() + ": " + std::strerror(saved));
        }
        written += static_cast<std::size_t>(n_written);
    }
    if (::close(fd) != 0) {
        const int saved = errno;
        ::unlink(path.c_str());
        throw Error(ExitCode::failure,
                    "cannot write " + path.string() + ": " + std::strerror(saved));
    }
}

void print_summary(Io& io, const Printer& printer, std::int64_t dropped) {
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(WallClock::now() - printer.start());
    io.note("Received " + output::count_of(printer.shown(), "message") + " ("
            + output::human_bytes(printer.bytes()) + ") in " + format_go_duration(elapsed) + " on "
            + output::count_of(printer.stats().size(), "subject"));
    std::vector<std::pair<std::string, SubjectStats>> rows(printer.stats().begin(),
                                                           printer.stats().end());
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
        return a.second.messages != b.second.messages ? a.second.messages > b.second.messages
                                                      : a.first < b.first;
    });
    constexpr std::size_t k_top = 20;
    for (std::size_t i = 0; i < rows.size() && i < k_top; ++i) {
        io.note("  " + rows[i].first + ": " + output::count_of(rows[i].second.messages, "message")
                + ", " + output::human_bytes(rows[i].second.bytes));
    }
    if (rows.size() > k_top) {
        io.note("  ... and " + std::to_string(rows.size() - k_top) + " more subjects");
    }
    if (dropped > 0) {
        io.note("Dropped " + output::with_commas(static_cast<std::uint64_t>(dropped))
                + " messages (slow consumer)");
    }
}

void prepare_dump_dir(const std::filesystem::path& dir) {
    std::error_code ec;
    const auto status = std::filesystem::status(dir, ec);
    if (std::filesystem::exists(status)) {
        if (!std::filesystem::is_directory(status)) {
            throw Error(ExitCode::failure,
                        "--dump " + dir.string() + ": it exists and is not a directory",
                        "give a directory, or '-' to write to stdout");
        }
    } else {
        if (dir.has_parent_path()) {
            std::filesystem::create_directories(dir.parent_path(), ec);
            if (ec) {
                throw Error(ExitCode::failure,
                            "cannot create directory " + dir.parent_path().string() + ": "
                                + ec.message());
            }
        }
        if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
            throw Error(ExitCode::failure,
                        "cannot create directory " + dir.string() + ": " + std::strerror(errno));
        }
    }
    if (::access(dir.c_str(), W_OK | X_OK) != 0) {
        throw Error(ExitCode::failure,
                    "cannot write to --dump directory " + dir.string() + ": "
                        + std::strerror(errno),
                    "choose a directory you can write to");
    }
}

void report_drops(Io& io, std::int64_t dropped) {
    if (dropped > 0) {
        io.note("natty: warning: "
                + output::count_of(static_cast<std::uint64_t>(dropped), "message")
                + " dropped because natty could not keep up (slow consumer)");
    }
}

} // namespace natty::sub_detail
