#pragma once

#include <natty/util/environment.hpp>

#include <iosfwd>
#include <mutex>
#include <string_view>
#include <thread>

namespace natty {

// Everything a command may touch of its process: data to out, diagnostics to err, input from
// in, whether each is a terminal, and the environment. main() fills it from the process; unit
// tests fill it with string streams and an environment of their own and run commands
// in-process (run_cli). Passed down, never global.
struct Io {
    Io(std::ostream& out_stream, std::ostream& err_stream, std::istream& in_stream)
        : out(out_stream), err(err_stream), in(in_stream) {}

    std::ostream& out;
    std::ostream& err;
    std::istream& in;
    bool stdout_is_tty = false;
    bool stderr_is_tty = false;
    bool stdin_is_tty = false;
    // The descriptor behind `out` when it is a real file (STDOUT_FILENO from main), else -1.
    int out_fd = -1;
    Environment env;

    // Writes one diagnostic line to err, made printable() first: server- and user-supplied text
    // in it cannot split the line, move the cursor or recolour the terminal. Safe to call from nats.c callback threads: only the
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
    // True when out is a pipe or socket whose reader has gone, found without writing (a
    // command that is idle would otherwise only notice at its next write).
    bool stdout_reader_gone() const;

private:
    std::mutex m_err_mutex;
    std::thread::id m_owner = std::this_thread::get_id();
};

} // namespace natty
