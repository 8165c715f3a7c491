#pragma once

// The printing side of `natty sub` (sub_print.cpp): each message in the chosen shape, the
// statistics, the Ctrl-C summary and the --dump directory. Private to src/commands.

#include "sub_delivery.hpp"

#include <natty/commands/sub.hpp>
#include <natty/io.hpp>
#include <natty/nats/message.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace natty::sub_detail {

struct SubjectStats {
    std::uint64_t messages = 0;
    std::uint64_t bytes = 0;
};

enum class Mode { human, raw, json, dump_stdout, dump_dir };

// How one message is shown: its number (a matched reply reuses its request's) and, with
// --stream, where it sits in the stream (read from its reply subject once, here).
struct Shown {
    std::uint64_t number = 0;
    bool matched = false;
    std::optional<nats::JetStreamPosition> position;
};

// Prints messages in the chosen shape and keeps the statistics.
class Printer {
public:
    Printer(const SubOptions& options, Io& io, Mode mode)
        : m_options(options), m_io(io), m_mode(mode), m_start(WallClock::now()),
          m_previous(m_start) {}

    // Returns true when the message was shown (counted), false when it was ignored.
    bool handle(const Received& item);

    // Requests and other messages numbered so far (matched replies reuse their request's).
    std::uint64_t count() const { return m_count; }
    // Every message printed, matched replies included.
    std::uint64_t shown() const { return m_shown; }
    std::uint64_t bytes() const { return m_bytes; }
    const std::unordered_map<std::string, SubjectStats>& stats() const { return m_stats; }
    WallClock::time_point start() const { return m_start; }
    void set_inbox_prefix(std::string prefix) { m_inbox_prefix = std::move(prefix) + "."; }

private:
    // The number the message is shown with, or nullopt when it is to be skipped.
    std::optional<Shown> number(const nats::Message& msg);
    bool is_reply_inbox(std::string_view subject) const {
        return subject.substr(0, m_inbox_prefix.size()) == m_inbox_prefix;
    }
    void print_human(const Received& item, const Shown& shown);
    void print_raw(std::string_view body);
    std::string to_json(const Received& item, const Shown& shown) const;
    void dump_file(const Received& item, const Shown& shown);

    const SubOptions& m_options;
    Io& m_io;
    Mode m_mode;
    WallClock::time_point m_start;
    WallClock::time_point m_previous;
    std::uint64_t m_count = 0;
    std::uint64_t m_shown = 0;
    std::uint64_t m_bytes = 0;
    std::unordered_map<std::string, SubjectStats> m_stats;
    std::unordered_map<std::string, std::uint64_t> m_requests;
    std::string m_inbox_prefix = "_INBOX.";
};

// The Ctrl-C summary on stderr: totals, the busiest subjects, slow-consumer drops.
void print_summary(Io& io, const Printer& printer, std::int64_t dropped);

// Creates the --dump directory (and its parents) with mode 0700 when it does not exist. An
// existing directory is used as it is: natty never changes the mode of a directory it did not
// create (--dump /tmp must not make /tmp private).
void prepare_dump_dir(const std::filesystem::path& dir);

// The final word on slow-consumer losses when sub ends other than by a signal.
void report_drops(Io& io, std::int64_t dropped);

} // namespace natty::sub_detail
