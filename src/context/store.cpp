#include <natty/context/store.hpp>
#include <natty/error.hpp>
#include <natty/util/atomic_file.hpp>
#include <natty/util/environment.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace natty {
namespace {

constexpr std::size_t k_max_context_bytes = 1 << 20;

std::string trim(std::string s) {
    const auto not_space = [](unsigned char c) { return std::isspace(c) == 0; };
    s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
    s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
    return s;
}

bool valid_name(std::string_view name) {
    try {
        validate_context_name(name);
        return true;
    } catch (const UsageError&) {
        return false;
    }
}

} // namespace

std::string read_context_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw ConfigError("cannot read " + path.string() + ": " + std::strerror(errno));
    }
    // Bounded by what is read, not by the size the file claims (a FIFO or device has none).
    std::string text;
    char chunk[16384];
    while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
        text.append(chunk, static_cast<std::size_t>(in.gcount()));
        if (text.size() > k_max_context_bytes) {
            throw ConfigError(path.string() + ": file is larger than 1 MiB, not a context file");
        }
    }
    if (in.bad()) {
        throw ConfigError("cannot read " + path.string() + ": " + std::strerror(errno));
    }
    return text;
}

ContextStore::ContextStore(std::filesystem::path root, Warn warn)
    : m_root(std::move(root)), m_warn(std::move(warn)) {}

std::filesystem::path ContextStore::default_root(const Environment& env) {
    const std::string xdg = env.get("XDG_CONFIG_HOME");
    if (!xdg.empty()) {
        return std::filesystem::path(xdg) / "natty";
    }
    const std::string home = env.get("HOME");
    if (!home.empty()) {
        return std::filesystem::path(home) / ".config" / "natty";
    }
    throw ConfigError("cannot locate the configuration directory: neither XDG_CONFIG_HOME nor "
                      "HOME is set",
                      "set HOME, or use --no-context with explicit connection flags");
}

std::filesystem::path ContextStore::path_of(std::string_view name) const {
    return m_root / "context" / (std::string(name) + ".toml");
}

std::vector<std::string> ContextStore::names() const {
    std::vector<std::string> result;
    std::error_code ec;
    std::filesystem::directory_iterator it(m_root / "context", ec);
    if (ec) {
        if (ec != std::errc::no_such_file_or_directory) {
            throw ConfigError("cannot list " + (m_root / "context").string() + ": " +
                              ec.message());
        }
        return result;
    }
    for (const auto& entry : it) {
        const auto& p = entry.path();
        if (p.extension() == ".toml" && valid_name(p.stem().string())) {
            result.push_back(p.stem().string());
        }
    }
    std::sort(result.begin(), result.end());
    return result;
}

bool ContextStore::exists(std::string_view name) const {
    std::error_code ec;
    return valid_name(name) && std::filesystem::exists(path_of(name), ec);
}

std::string ContextStore::known_contexts_hint() const {
    const auto all = names();
    if (all.empty()) {
        return "no contexts are saved; create one with `natty context save NAME --server URL ...`";
    }
    std::string list;
    for (const auto& n : all) {
        list += (list.empty() ? "" : ", ") + n;
    }
    return "known contexts: " + list;
}

void ContextStore::require(std::string_view name) const {
    validate_context_name(name);
    if (!exists(name)) {
        throw ConfigError("unknown context \"" + std::string(name) + "\"", known_contexts_hint());
    }
}

ContextData ContextStore::load(std::string_view name) const {
    require(name);
    return load_file(path_of(name));
}

ContextData ContextStore::load_file(const std::filesystem::path& path) const {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        throw ConfigError("cannot read " + path.string() + ": " + std::strerror(errno));
    }
    if ((st.st_mode & 077) != 0 && m_warn) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        m_warn("natty: warning: " + path.string() + " is readable by others (mode " + mode +
               "); run `chmod 600 " + path.string() + "` (natty fixes it on the next save)");
    }
    return parse_context_toml(read_context_file(path), path.string());
}

void ContextStore::save(std::string_view name, const ContextData& data) {
    validate_context_name(name);
    ensure_private_dir(m_root);
    ensure_private_dir(m_root / "context");
    write_file_atomic(path_of(name), to_toml(data), 0600);
}

void ContextStore::remove(std::string_view name) {
    require(name);
    std::error_code ec;
    if (!std::filesystem::remove(path_of(name), ec) && ec) {
        throw ConfigError("cannot remove " + path_of(name).string() + ": " + ec.message());
    }
    // `context previous` must not lead to a context that is gone.
    if (previous() == name) {
        write_pointer(m_root / "previous-context.txt", "");
    }
}

std::optional<std::string> ContextStore::read_pointer(const std::filesystem::path& file) const {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
        return std::nullopt;
    }
    std::string name = trim(read_context_file(file));
    if (name.empty()) {
        return std::nullopt;
    }
    return name;
}

void ContextStore::write_pointer(const std::filesystem::path& file, const std::string& name) {
    ensure_private_dir(m_root);
    if (name.empty()) {
        std::error_code ec;
        std::filesystem::remove(file, ec);
        return;
    }
    write_file_atomic(file, name + "\n", 0600);
}

std::optional<std::string> ContextStore::selected() const {
    return read_pointer(m_root / "context.txt");
}

std::optional<std::string> ContextStore::previous() const {
    return read_pointer(m_root / "previous-context.txt");
}

void ContextStore::select(std::string_view name) {
    require(name);
    const auto current = selected();
    if (current && *current != name) {
        write_pointer(m_root / "previous-context.txt", *current);
    }
    write_pointer(m_root / "context.txt", std::string(name));
}

void ContextStore::unselect() {
    const auto current = selected();
    if (current) {
        write_pointer(m_root / "previous-context.txt", *current);
    }
    write_pointer(m_root / "context.txt", "");
}

} // namespace natty
