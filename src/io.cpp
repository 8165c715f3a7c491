#include <natty/error.hpp>
#include <natty/io.hpp>
#include <natty/util/printable.hpp>

#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
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
    if (saved == EPIPE) {
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

} // namespace natty
