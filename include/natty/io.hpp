#pragma once

#include <iosfwd>
#include <mutex>
#include <string_view>
#include <thread>

namespace natty {

// Where a command writes: data to out, diagnostics to err. Passed down from main, never global.
struct Io {
    Io(std::ostream& out_stream, std::ostream& err_stream, std::istream& in_stream)
        : out(out_stream), err(err_stream), in(in_stream) {}

    std::ostream& out;
    std::ostream& err;
    std::istream& in;
    bool stdout_is_tty = false;
    bool stderr_is_tty = false;
    bool stdin_is_tty = false;

    // Writes one diagnostic line to err. Safe to call from nats.c callback threads: only the
    // thread that made this Io may flush out first (std::cerr is tied to std::cout), so a
    // callback never touches out, which the command's thread may be writing.
    void note(std::string_view line);
    // Writes text as it is (progress bars, prompts), with the same rules as note().
    void write_err(std::string_view text);

    // Flushes out and throws natty::Error if the reader went away (EPIPE; SIGPIPE is ignored).
    void flush_out();
    // After writing to out: throws BrokenPipe when the reader went away, Error on other
    // failures. Set errno to 0 before writing so the cause is known.
    void check_out();
    // True when stdout is a pipe or socket whose reader has gone, found without writing (a
    // command that is idle would otherwise only notice at its next write).
    static bool stdout_reader_gone();

private:
    std::mutex m_err_mutex;
    std::thread::id m_owner = std::this_thread::get_id();
};

} // namespace natty
