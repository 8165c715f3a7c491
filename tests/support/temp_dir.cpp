#include "temp_dir.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace natty::test {

TempDir::TempDir() {
    const char* env_tmp = std::getenv("TMPDIR");
    const std::filesystem::path base = (env_tmp != nullptr && *env_tmp != '\0') ? env_tmp : "/tmp";
    std::string pattern = (base / "natty-test-XXXXXX").string();
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (::mkdtemp(buffer.data()) == nullptr) {
        throw std::runtime_error("mkdtemp(" + pattern + ") failed: " + std::strerror(errno));
    }
    m_path = std::filesystem::absolute(std::filesystem::path(buffer.data()));
}

TempDir::~TempDir() { remove(); }

TempDir::TempDir(TempDir&& other) noexcept : m_path(std::exchange(other.m_path, {})) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
    if (this != &other) {
        remove();
        m_path = std::exchange(other.m_path, {});
    }
    return *this;
}

void TempDir::remove() noexcept {
    if (m_path.empty()) {
        return;
    }
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
    if (ec) {
        // A test may have made a subdirectory read-only; restore owner access and try once more.
        namespace fs = std::filesystem;
        std::error_code walk_ec;
        fs::permissions(m_path, fs::perms::owner_all, fs::perm_options::add, walk_ec);
        for (fs::recursive_directory_iterator it(m_path, walk_ec), end; !walk_ec && it != end;
             it.increment(walk_ec)) {
            std::error_code perm_ec;
            if (it->is_directory(perm_ec) && !it->is_symlink(perm_ec)) {
                fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, perm_ec);
            }
        }
        fs::remove_all(m_path, ec);
    }
    m_path.clear();
}

} // namespace natty::test
