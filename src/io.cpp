#include <natty/error.hpp>
#include <natty/io.hpp>

#include <cerrno>
#include <cstring>
#include <iostream>

namespace natty {

void Io::note(std::string_view line) {
    std::lock_guard lock(m_err_mutex);
    err << line << '\n';
    err.flush();
}

void Io::flush_out() {
    errno = 0;
    out.flush();
    if (!out) {
        const int saved = errno;
        if (saved == EPIPE) {
            throw BrokenPipe();
        }
        throw Error(ExitCode::failure, std::string("cannot write output: ") +
                                           (saved != 0 ? std::strerror(saved) : "write failed"));
    }
}

} // namespace natty
