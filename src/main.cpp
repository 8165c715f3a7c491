#include <natty/commands/app.hpp>
#include <natty/error.hpp>
#include <natty/nats/library.hpp>
#include <natty/util/printable.hpp>

#include <csignal>
#include <iostream>
#include <string>
#include <unistd.h>
#include <vector>

int main(int argc, char** argv) {
    natty::nats::prepare_process();
    natty::Io io(std::cout, std::cerr, std::cin);
    io.stdout_is_tty = ::isatty(STDOUT_FILENO) == 1;
    io.stderr_is_tty = ::isatty(STDERR_FILENO) == 1;
    io.stdin_is_tty = ::isatty(STDIN_FILENO) == 1;
    io.out_fd = STDOUT_FILENO;
    io.in_fd = STDIN_FILENO;
    io.env = natty::Environment::from_process();
    std::ios::sync_with_stdio(false);
    // A reader that goes away must surface as EPIPE (a quiet end, see Io::flush_out) in every
    // command, not only in those that connect: nats.c, opened by the first connect, ignores
    // SIGPIPE too, but commands that never connect never open it.
    std::signal(SIGPIPE, SIG_IGN);
    try {
        return natty::run_cli(std::vector<std::string>(argv + 1, argv + argc), io);
    } catch (const natty::Error& e) {
        std::cerr << "natty: error: " << natty::printable(e.what()) << '\n';
        return natty::to_int(e.code());
    }
}
