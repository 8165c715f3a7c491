#include <natty/error.hpp>
#include <natty/io.hpp>
#include <natty/util/interrupt.hpp>
#include <natty/util/printable.hpp>

#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <istream>
#include <ostream>
#include <string>

namespace natty {

void Io::write_err(std::string_view text) {
    std::lock_guard lock(m_err_mutex);
    if (std::this_thread::get_id() == m_owner) {
        err << text << std::flush; // flushes a tied out first: output and notes stay in order
        return;
    }
    // Straight to the buffer: the stream's own functions would flush a tied out.
    auto* buffer = err.rdbuf();
    buffer->sputn(text.data(), static_cast<std::streamsize>(text.size()));
    buffer->pubsync();
}

void Io::note(std::string_view line) {
    std::string text = printable(line);
    text += '\n';
    write_err(text);
}

void Io::check_out() {
    if (out) {
        return;
    }
    const int saved = errno;
    // A stream that failed at an earlier implicit flush stays bad without setting errno
    // again: a reader that has gone is still a quiet end, not a write failure.
    if (saved == EPIPE || stdout_reader_gone()) {
        throw BrokenPipe();
    }
    throw Error(ExitCode::failure, std::string("cannot write output: ")
                                       + (saved != 0 ? std::strerror(saved) : "write failed"));
}

void Io::flush_out() {
    errno = 0;
    out.flush();
    check_out();
}

bool Io::stdout_reader_gone() const {
    struct stat st {};
    if (out_fd < 0 || ::fstat(out_fd, &st) != 0 || !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) {
        return false;
    }
    pollfd pfd{out_fd, 0, 0};
    return ::poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLERR | POLLHUP)) != 0;
}

namespace {

constexpr std::size_t k_input_chunk = 64 * 1024;
// How often a wait for input looks at the interrupt flag.
constexpr int k_input_poll_ms = 50;

bool interrupted(const InterruptGuard* interrupt) {
    return interrupt != nullptr && interrupt->requested();
}

} // namespace

bool Io::fill_input(std::size_t max, const InterruptGuard* interrupt) {
    if (m_input_ended || interrupted(interrupt)) {
        return false;
    }
    if (m_input_pos > 0) { // drop what was returned before growing the buffer
        m_input.erase(0, m_input_pos);
        m_input_pos = 0;
    }
    const std::size_t want = std::min(max, k_input_chunk);
    const std::size_t old_size = m_input.size();
    m_input.resize(old_size + want);
    if (in_fd < 0) {
        in.read(m_input.data() + old_size, static_cast<std::streamsize>(want));
        const auto got = static_cast<std::size_t>(in.gcount());
        m_input.resize(old_size + got);
        m_input_ended = got == 0;
        return got > 0;
    }
    for (;;) {
        if (interrupted(interrupt)) {
            m_input.resize(old_size);
            return false;
        }
        pollfd pfd{in_fd, POLLIN, 0};
        const int ready = ::poll(&pfd, 1, k_input_poll_ms);
        if (ready <= 0) {
            continue; // timed out or EINTR: look at the interrupt flag again
        }
        const ssize_t got = ::read(in_fd, m_input.data() + old_size, want);
        if (got < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (got < 0) {
            const int saved = errno;
            m_input.resize(old_size);
            throw Error(ExitCode::failure,
                        std::string("cannot read stdin: ") + std::strerror(saved));
        }
        m_input.resize(old_size + static_cast<std::size_t>(got));
        m_input_ended = got == 0;
        return got > 0;
    }
}

std::optional<std::string> Io::read_input(std::size_t limit, const InterruptGuard* interrupt) {
    const std::size_t cap = limit + 1;
    auto buffered = [&] { return m_input.size() - m_input_pos; };
    while (buffered() < cap && fill_input(cap - buffered(), interrupt)) {
    }
    if (interrupted(interrupt)) {
        return std::nullopt;
    }
    std::string data = m_input.substr(m_input_pos, cap);
    m_input_pos += data.size();
    return data;
}

namespace {

// A line's CR before its LF (or before the end of input), as Go's bufio.ScanLines drops it.
void drop_carriage_return(std::string& line) {
    if (!line.empty() && line.back() == '\r') {
        line.pop_back();
    }
}

} // namespace

bool Io::read_line(std::string& line, std::size_t limit, const InterruptGuard* interrupt) {
    if (interrupted(interrupt)) {
        return false;
    }
    std::size_t searched = m_input_pos;
    for (;;) {
        const std::size_t newline = m_input.find('\n', searched);
        // The line's length without its LF, nor the CR before it.
        const bool crlf = newline != std::string::npos && newline > m_input_pos
                          && m_input[newline - 1] == '\r';
        if (newline != std::string::npos && newline - m_input_pos - (crlf ? 1 : 0) <= limit) {
            line.assign(m_input, m_input_pos, newline - m_input_pos);
            drop_carriage_return(line);
            m_input_pos = newline + 1;
            return true;
        }
        const std::size_t pending = m_input.size() - m_input_pos;
        // Too long (a CR that may yet be followed by LF does not count): hand back limit + 1.
        if (pending > limit + 1 || (pending == limit + 1 && m_input.back() != '\r')) {
            line.assign(m_input, m_input_pos, limit + 1);
            m_input_pos += limit + 1;
            return true;
        }
        searched = m_input.size();
        const std::size_t before = m_input_pos;
        if (!fill_input(k_input_chunk, interrupt)) {
            break;
        }
        searched -= before; // fill_input() moved the unreturned bytes to the front
    }
    if (interrupted(interrupt) || m_input_pos == m_input.size()) {
        return false;
    }
    line.assign(m_input, m_input_pos);
    drop_carriage_return(line);
    m_input_pos = m_input.size();
    return true;
}

} // namespace natty
