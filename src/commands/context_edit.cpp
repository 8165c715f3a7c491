#include <natty/commands/context.hpp>
#include <natty/context/store.hpp>
#include <natty/error.hpp>
#include <natty/util/atomic_file.hpp>
#include <natty/util/interrupt.hpp>
#include <natty/util/spawn.hpp>

#include "context_common.hpp"

#include <csignal>
#include <cstdlib>
#include <filesystem>

// `context edit`: the context in $EDITOR on a private copy, saved only when it is valid.

namespace natty {
namespace {

// A private temp directory removed with everything in it when the scope ends.
class PrivateTempDir {
public:
    explicit PrivateTempDir(const Environment& env) {
        std::string base = env.get("TMPDIR");
        if (base.empty()) {
            base = "/tmp";
        }
        std::string pattern = base + "/natty-edit-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw Error(ExitCode::failure, "cannot create a temp directory in " + base);
        }
        m_path = pattern;
    }
    PrivateTempDir(const PrivateTempDir&) = delete;
    PrivateTempDir& operator=(const PrivateTempDir&) = delete;
    ~PrivateTempDir() {
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
    }
    const std::filesystem::path& path() const { return m_path; }

private:
    std::filesystem::path m_path;
};

// Runs `$EDITOR file` with the terminal and returns its exit status. natty always outlives the
// editor, so the caller can remove the private copy: Ctrl-C reaches the editor too and is its
// business; SIGTERM (caught by `interrupt`) is passed on to the editor and ends the edit.
int run_editor(const std::string& editor, const std::filesystem::path& file,
               const InterruptGuard& interrupt, const std::string& name, const Environment& env) {
    ChildSpec spec;
    // sh -c 'EDITOR "$1"' sh FILE: the editor command may carry its own arguments.
    spec.argv = {"/bin/sh", "-c", editor + " \"$1\"", "sh", file.string()};
    spec.env = env;
    spec.default_signals = {SIGINT, SIGTERM};
    int status = 0;
    try {
        status = run_child(spec, [&] { return interrupt.signal_number() == SIGTERM; }).status;
    } catch (const SpawnError& e) {
        throw Error(ExitCode::failure,
                    "cannot start the editor: " + e.reason(),
                    "set EDITOR (or VISUAL) to a program that exists, e.g. EDITOR=vi");
    }
    if (interrupt.signal_number() == SIGTERM || (interrupt.requested() && status != 0)) {
        throw Error(interrupt.exit_code(),
                    "context edit interrupted; context \"" + name + "\" is unchanged");
    }
    return status;
}

} // namespace

void run_context_edit(const std::string& name, Runtime& runtime) {
    validate_context_name(name);
    auto& store = runtime.store();
    std::string editor = runtime.env().get("VISUAL");
    if (editor.empty()) {
        editor = runtime.env().get("EDITOR");
    }
    if (editor.empty()) {
        throw ConfigError("no editor: set EDITOR (or VISUAL)",
                          "or change fields without an editor: `natty context save " + name +
                              " --server URL ...` merges into the existing context");
    }
    const bool existed = store.exists(name);
    std::string original;
    if (existed) {
        original = read_context_file(store.path_of(name));
    } else {
        original = "# new natty context \"" + name +
                   "\"; keys: description, url, user, password, token, creds, nkey, cert, key, "
                   "ca, inbox_prefix, jetstream_domain, jetstream_api_prefix\nurl = \"" +
                   std::string(k_default_server) + "\"\n";
    }
    // Installed before the private copy exists and removed after it is gone.
    const InterruptGuard interrupt;
    PrivateTempDir temp(runtime.env());
    const auto file = temp.path() / (name + ".toml");
    write_file_atomic(file, original, 0600);
    const int status = run_editor(editor, file, interrupt, name, runtime.env());
    if (status != 0) {
        throw Error(ExitCode::failure, "the editor exited with status " + std::to_string(status) +
                                           "; context \"" + name + "\" is unchanged");
    }
    ContextData data;
    try {
        const std::string edited = read_context_file(file);
        if (edited == original && existed) {
            runtime.io().out << "Context \"" << name << "\" is unchanged\n";
            return;
        }
        data = parse_context_toml(edited, name + ".toml (edited copy)");
    } catch (const ConfigError& e) {
        throw ConfigError(std::string(e.what()) + "; context \"" + name + "\" is unchanged",
                          "run `natty context edit " + name + "` again to fix it");
    }
    require_valid(data, runtime, name);
    store.save(name, data);
    runtime.io().out << "Saved context \"" << name << "\"\n\n";
    show_context(runtime, name);
}

} // namespace natty
