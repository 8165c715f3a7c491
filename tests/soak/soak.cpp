// natty_soak: the load and soak run (reliability catalogue §8.6: L01, L03, L04). Not a ctest
// test: it takes minutes. scripts/soak builds and runs it.
//
//   natty_soak [messages|processes|reconnect|all]... [--natty PATH] [--scale F]
//              [--messages N] [--processes N] [--restarts N] [--interval MS]
//
// Exit code 0 when every check passed, 1 with one line per failed check, 2 on a usage error.
#include "soak.hpp"

#include "temp_dir.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <iostream>
#include <stdexcept>

namespace natty::soak {
namespace {

constexpr const char* k_usage =
    "usage: natty_soak [messages|processes|reconnect|all]... [options]\n"
    "  --natty PATH     natty binary (default $NATTY_BIN, else build/src/natty)\n"
    "  --scale F        multiply every count by F (0 < F <= 1), e.g. 0.01 for a quick run\n"
    "  --messages N     messages through sub (default 1000000)\n"
    "  --processes N    short pub processes (default 10000)\n"
    "  --restarts N     server restarts under a running sub (default 20)\n"
    "  --interval MS    time between restarts (default 1500)\n"
    "Exit code 0 when every check passed, 1 otherwise (one line per failed check), 2 usage.\n";

struct Phase {
    const char* name;
    std::function<Checks(const Config&)> run;
};

const std::vector<Phase>& phases() {
    static const std::vector<Phase> list{
        {"messages", run_messages}, {"processes", run_processes}, {"reconnect", run_reconnect}};
    return list;
}

// The parsed command line; counts are scaled after parsing so an explicit count is exact.
struct Arguments {
    Config config;
    std::vector<std::string> phases;
    double scale = 1.0;
    bool explicit_messages = false, explicit_processes = false, explicit_restarts = false;
};

std::int64_t positive(const std::string& flag, const std::string& text) {
    std::size_t used = 0;
    long long value = 0;
    try {
        value = std::stoll(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != text.size() || value < 1) {
        throw std::invalid_argument(flag + " needs a positive whole number, got '" + text + "'");
    }
    return value;
}

double scale_of(const std::string& text) {
    std::size_t used = 0;
    double value = 0;
    try {
        value = std::stod(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != text.size() || !(value > 0 && value <= 1)) {
        throw std::invalid_argument("--scale needs a number in (0, 1], got '" + text + "'");
    }
    return value;
}

void apply_flag(Arguments& args, const std::string& flag, const std::string& value) {
    if (flag == "--natty") {
        args.config.natty = value;
    } else if (flag == "--scale") {
        args.scale = scale_of(value);
    } else if (flag == "--messages") {
        args.config.messages = positive(flag, value);
        args.explicit_messages = true;
    } else if (flag == "--processes") {
        args.config.processes = positive(flag, value);
        args.explicit_processes = true;
    } else if (flag == "--restarts") {
        args.config.restarts =
            static_cast<int>(std::min<std::int64_t>(positive(flag, value), 10000));
        args.explicit_restarts = true;
    } else if (flag == "--interval") {
        args.config.restart_interval = std::chrono::milliseconds(positive(flag, value));
    } else {
        throw std::invalid_argument("unknown option " + flag);
    }
}

std::int64_t scaled(std::int64_t count, double scale, std::int64_t minimum) {
    return std::max(minimum, static_cast<std::int64_t>(static_cast<double>(count) * scale));
}

Arguments parse(int argc, char** argv) {
    Arguments args;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg.rfind("--", 0) == 0) {
            if (i + 1 >= argc) {
                throw std::invalid_argument(arg + " needs a value");
            }
            apply_flag(args, arg, argv[++i]);
        } else if (arg == "all") {
            for (const Phase& phase : phases()) {
                args.phases.emplace_back(phase.name);
            }
        } else if (std::any_of(phases().begin(), phases().end(), [&](const Phase& p) {
                       return arg == p.name;
                   })) {
            args.phases.push_back(arg);
        } else {
            throw std::invalid_argument("unknown phase '" + arg + "'");
        }
    }
    if (args.phases.empty()) {
        throw std::invalid_argument("name a phase, or all");
    }
    Config& c = args.config;
    c.messages = args.explicit_messages ? c.messages : scaled(c.messages, args.scale, 1);
    c.processes = args.explicit_processes ? c.processes : scaled(c.processes, args.scale, 1);
    // Enough restarts to judge flatness after the warm-up samples, however small the scale.
    c.restarts =
        args.explicit_restarts ? c.restarts : static_cast<int>(scaled(c.restarts, args.scale, 6));
    if (c.natty.empty()) {
        const char* env = std::getenv("NATTY_BIN");
        c.natty = env != nullptr && *env != '\0' ? env : "build/src/natty";
    }
    c.natty = std::filesystem::absolute(c.natty).string();
    if (!std::filesystem::is_regular_file(c.natty)) {
        throw std::invalid_argument("no natty binary at " + c.natty + " (use --natty)");
    }
    return args;
}

// Runs one phase; an exception (a server that would not start, say) is a failed check too.
std::vector<std::string> run_phase(const Phase& phase, const Config& config) {
    std::printf("== %s\n", phase.name);
    std::fflush(stdout);
    const auto start = Clock::now();
    std::vector<std::string> failures;
    try {
        failures = phase.run(config).failures();
    } catch (const std::exception& e) {
        failures.push_back(std::string(phase.name) + ": aborted: " + e.what());
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("%s: %s in %.1f s\n", phase.name, failures.empty() ? "PASS" : "FAIL", seconds);
    std::fflush(stdout);
    return failures;
}

int run(int argc, char** argv) {
    if (argc == 2 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
        std::cout << k_usage;
        return 0;
    }
    Arguments args;
    try {
        args = parse(argc, argv);
    } catch (const std::invalid_argument& e) {
        std::cerr << "natty_soak: " << e.what() << "\n" << k_usage;
        return 2;
    }
    test::TempDir work;
    args.config.work_dir = work.path();
    std::printf("natty_soak: %s; %s messages, %s processes, %d restarts every %lld ms\n",
                args.config.natty.c_str(),
                with_commas(args.config.messages).c_str(),
                with_commas(args.config.processes).c_str(),
                args.config.restarts,
                static_cast<long long>(args.config.restart_interval.count()));
    std::vector<std::string> failures;
    for (const Phase& phase : phases()) {
        if (std::find(args.phases.begin(), args.phases.end(), phase.name) != args.phases.end()) {
            for (std::string& line : run_phase(phase, args.config)) {
                failures.push_back(std::move(line));
            }
        }
    }
    for (const std::string& line : failures) {
        std::printf("FAILED %s\n", line.c_str());
    }
    std::printf("natty_soak: %s\n",
                failures.empty() ? "all checks passed"
                                 : (std::to_string(failures.size()) + " checks failed").c_str());
    return failures.empty() ? 0 : 1;
}

} // namespace
} // namespace natty::soak

int main(int argc, char** argv) {
    return natty::soak::run(argc, argv);
}
