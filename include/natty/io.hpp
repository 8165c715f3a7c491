#pragma once

#include <iosfwd>
#include <mutex>
#include <string_view>

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

    // Writes one diagnostic line to err; safe to call from nats.c callback threads.
    void note(std::string_view line);

    // Flushes out and throws natty::Error if the reader went away (EPIPE; SIGPIPE is ignored).
    void flush_out();

private:
    std::mutex m_err_mutex;
};

} // namespace natty
