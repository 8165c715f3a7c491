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

#include <iostream>

namespace natty {
namespace {

constexpr const char* k_exit_codes = R"(Exit codes:
  0   success                    5   authorization or permission denied
  1   runtime failure            6   TLS failure (required, handshake, verification)
  2   usage error                7   not found (key, bucket, no responders)
  3   context or config error    8   timeout
  4   cannot connect             130 interrupted (SIGINT), 143 terminated (SIGTERM)
  server check uses Nagios codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.)";

// The explicit list of command families; each registers its own subcommands.
void register_commands(CLI::App& app, Runtime& runtime) {
    setup_context(app, runtime);
    setup_server(app, runtime);
    setup_rtt(app, runtime);
    setup_kv(app, runtime);
    setup_pub(app, runtime);
    setup_sub(app, runtime);
    setup_request(app, runtime);
    setup_reply(app, runtime);
    setup_bench(app, runtime);
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
    register_commands(app, runtime);
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
