#pragma once

#include <natty/util/environment.hpp>

#include <cstddef>
#include <iosfwd>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace natty {

class InterruptGuard;

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
    // The descriptor behind `in` when it is the process's stdin (STDIN_FILENO from main), else
    // -1. Input is then read with poll() and read(), so a signal an InterruptGuard catches ends
    // a wait for input (a blocked stream read would carry on through it).
    int in_fd = -1;
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

    // Reads input to its end, but never more than limit + 1 bytes: a result longer than
    // `limit` means there was more. Returns nullopt when `interrupt` fired before the end
    // (what was read is incomplete and must not be used). Throws Error when reading fails.
    std::optional<std::string> read_input(std::size_t limit,
                                          const InterruptGuard* interrupt = nullptr);
    // Reads the next line of input into `line`, without its '\n' (nor a '\r' before it, as the
    // Go CLI's line reading drops it); a line longer than `limit` comes back as its first
    // limit + 1 bytes (the caller refuses it). The last line needs no '\n'. False at the end of
    // input, or when `interrupt` fired (a partial line is dropped).
    bool read_line(std::string& line,
                   std::size_t limit,
                   const InterruptGuard* interrupt = nullptr);

private:
    // Appends up to `max` more bytes of input to m_input; false at the end of input or when
    // `interrupt` fired.
    bool fill_input(std::size_t max, const InterruptGuard* interrupt);

    std::string m_input;        // read but not yet returned, from m_input_pos on
    std::size_t m_input_pos = 0;
    bool m_input_ended = false;

    std::mutex m_err_mutex;
    std::thread::id m_owner = std::this_thread::get_id();
};

} // namespace natty
