#pragma once

#include <filesystem>

namespace natty::test {

// A private scratch directory per test, so parallel tests never share files and nothing is left.
class TempDir {
public:
    TempDir();
    ~TempDir();

    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    TempDir(TempDir&& other) noexcept;
    TempDir& operator=(TempDir&& other) noexcept;

    // Absolute path of the directory; empty after the object was moved from.
    const std::filesystem::path& path() const { return m_path; }

private:
    // Best-effort recursive removal; errors are swallowed because it runs in destructors.
    void remove() noexcept;

    std::filesystem::path m_path;
};

} // namespace natty::test
