#include <natty/commands/app.hpp>
#include <natty/error.hpp>
#include <natty/nats/library.hpp>
#include <natty/util/printable.hpp>

#include <iostream>
#include <string>
#include <unistd.h>
#include <vector>

int main(int argc, char** argv) {
    natty::Io io(std::cout, std::cerr, std::cin);
    io.stdout_is_tty = ::isatty(STDOUT_FILENO) == 1;
    io.stderr_is_tty = ::isatty(STDERR_FILENO) == 1;
    io.stdin_is_tty = ::isatty(STDIN_FILENO) == 1;
    io.out_fd = STDOUT_FILENO;
    io.in_fd = STDIN_FILENO;
    io.env = natty::Environment::from_process();
    std::ios::sync_with_stdio(false);
    try {
        natty::nats::Library library;
        return natty::run_cli(std::vector<std::string>(argv + 1, argv + argc), io);
    } catch (const natty::Error& e) {
        std::cerr << "natty: error: " << natty::printable(e.what()) << '\n';
        return natty::to_int(e.code());
    }
}
