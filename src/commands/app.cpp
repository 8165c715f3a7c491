#include <natty/commands/app.hpp>
#include <natty/commands/bench.hpp>
#include <natty/commands/complete.hpp>
#include <natty/commands/context.hpp>
#include <natty/commands/kv.hpp>
#include <natty/commands/rtt.hpp>
#include <natty/commands/server.hpp>
#include <natty/commands/pub.hpp>
#include <natty/commands/reply.hpp>
#include <natty/commands/request.hpp>
#include <natty/commands/sub.hpp>
#include <natty/error.hpp>
#include <natty/nats/library.hpp>

#include <CLI/CLI.hpp>
#include <openssl/opensslv.h>

#include <algorithm>
#include <array>
#include <iostream>
#include <optional>
#include <string_view>

namespace natty {
namespace {

constexpr const char* k_exit_codes = R"(Exit codes:
  0   success                    5   authorization or permission denied
  1   runtime failure            6   TLS failure (required, handshake, verification)
  2   usage error                7   not found (key, bucket, no responders)
  3   context or config error    8   timeout
  4   cannot connect             130 interrupted (SIGINT), 143 terminated (SIGTERM)
  server check uses Nagios codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.)";

// The explicit list of command families, by the top-level name and alias each registers;
// each registers its own subcommands.
struct Family {
    std::string_view name;
    std::string_view alias;
    void (*setup)(CLI::App&, Runtime&);
};
constexpr std::array<Family, 9> k_families{{
    {"context", "ctx", setup_context},
    {"server", "", setup_server},
    {"rtt", "", setup_rtt},
    {"kv", "", setup_kv},
    {"pub", "publish", setup_pub},
    {"sub", "subscribe", setup_sub},
    {"request", "req", setup_request},
    {"reply", "", setup_reply},
    {"bench", "", setup_bench},
}};

// The first argument that is neither a global option nor its value: the command word, if any.
std::optional<std::string_view> command_word(const CLI::App& app,
                                             const std::vector<std::string>& args) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--") {
            return arg;
        }
        if (arg.size() < 2 || arg.front() != '-') {
            return arg;
        }
        const CLI::Option* opt = app.get_option_no_throw(arg);
        if (opt != nullptr && opt->get_type_size() > 0) {
            ++i; // its value, which may look like a command ("--context pub")
        }
    }
    return std::nullopt;
}

bool asks_for_help(const std::vector<std::string>& args) {
    return std::any_of(args.begin(), args.end(), [](const std::string& arg) {
        return arg == "-h" || arg == "--help";
    });
}

// Building every family's flags is most of natty's own start-up (~3 M instructions), so only
// the invoked family is built. Help and completion list all commands and need all of them, as
// does an unknown word, whose error must read as it always has; with no command word at all
// (--version, a missing command) none is needed.
void register_commands(CLI::App& app, Runtime& runtime, const std::vector<std::string>& args) {
    const auto word = command_word(app, args);
    const auto invoked = std::find_if(k_families.begin(), k_families.end(), [&](const Family& f) {
        return word && (*word == f.name || (!f.alias.empty() && *word == f.alias));
    });
    if (invoked != k_families.end()) {
        invoked->setup(app, runtime);
    } else if (word || asks_for_help(args)) {
        for (const Family& family : k_families) {
            family.setup(app, runtime);
        }
    }
}

void print_error(Io& io, const std::string& message, const std::string& hint) {
    io.note("natty: error: " + message);
    if (!hint.empty()) {
        io.note("hint: " + hint);
    }
}

} // namespace

std::string version_text() {
    return std::string("natty ") + NATTY_VERSION + " (nats.c " + nats::library_version() + ", " +
           OPENSSL_VERSION_TEXT + ")";
}

int run_cli(const std::vector<std::string>& args, Io& io) {
    Runtime runtime(io, io.env);
    CLI::App app("natty: look inside a running NATS system", "natty");
    app.footer(k_exit_codes);
    app.set_version_flag("--version", version_text());
    app.require_subcommand(1);
    app.fallthrough(true);
    app.option_defaults()->always_capture_default(false);
    setup_connection_flags(app, runtime.flags());
    register_commands(app, runtime, args);
    try {
        if (!args.empty() && args.front() == "__complete") {
            run_complete(app, std::vector<std::string>(args.begin() + 1, args.end()), runtime);
            return to_int(ExitCode::ok);
        }
        std::vector<const char*> argv = {"natty"};
        for (const auto& arg : args) {
            argv.push_back(arg.c_str());
        }
        app.parse(static_cast<int>(argv.size()), argv.data());
        return to_int(ExitCode::ok);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e, io.out, io.err);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e, io.out, io.err);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e, io.out, io.err);
    } catch (const CLI::ParseError& e) {
        print_error(io, e.what(), "see `natty --help` or `natty COMMAND --help`");
        return to_int(ExitCode::usage);
    } catch (const Exit& e) {
        return to_int(e.code());
    } catch (const Error& e) {
        print_error(io, e.what(), e.hint());
        return to_int(e.code());
    } catch (const std::exception& e) {
        print_error(io, std::string("unexpected failure: ") + e.what(), "");
        return to_int(ExitCode::failure);
    }
}

} // namespace natty
