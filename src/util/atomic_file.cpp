#include <natty/error.hpp>
#include <natty/util/atomic_file.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace natty {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

// Closes a file descriptor and removes a temp file unless released.
class TempFile {
public:
    TempFile(int fd, std::string path) : m_fd(fd), m_path(std::move(path)) {}
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    ~TempFile() {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
        if (!m_released) {
            ::unlink(m_path.c_str());
        }
    }
    int fd() const { return m_fd; }
    const std::string& path() const { return m_path; }
    int close() {
        int rc = ::close(m_fd);
        m_fd = -1;
        return rc;
    }
    void release() { m_released = true; }

private:
    int m_fd;
    std::string m_path;
    bool m_released = false;
};

} // namespace

void ensure_private_dir(const std::filesystem::path& dir, mode_t mode) {
    std::error_code ec;
    std::filesystem::create_directories(dir.parent_path(), ec);
    if (ec) {
        throw ConfigError("cannot create directory " + dir.parent_path().string() + ": " +
                          ec.message());
    }
    if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) {
        throw ConfigError("cannot create directory " + dir.string() + ": " + errno_text(errno));
    }
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0) {
        throw ConfigError("cannot inspect directory " + dir.string() + ": " + errno_text(errno));
    }
    if (S_ISLNK(st.st_mode) || !S_ISDIR(st.st_mode)) {
        throw ConfigError("refusing to use " + dir.string() + ": it is not a plain directory",
                          "remove it or replace it with a directory");
    }
    if ((st.st_mode & 07777) != mode && ::chmod(dir.c_str(), mode) != 0) {
        throw ConfigError("cannot set mode on " + dir.string() + ": " + errno_text(errno));
    }
}

void write_file_atomic(const std::filesystem::path& path, std::string_view content, mode_t mode) {
    const std::string target = path.string();
    struct stat st {};
    if (::lstat(target.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
        throw ConfigError("refusing to write " + target + ": it is a symbolic link",
                          "remove the link; natty writes its files only as regular files");
    }
    std::string temp_name = (path.parent_path() / ("." + path.filename().string() + ".tmp-XXXXXX"));
    int fd = ::mkstemp(temp_name.data());
    if (fd < 0) {
        throw ConfigError("cannot write " + target + ": " + errno_text(errno));
    }
    TempFile temp(fd, temp_name);
    auto fail = [&](const char* step) {
        throw ConfigError("cannot write " + target + " (" + step + "): " + errno_text(errno));
    };
    if (::fchmod(temp.fd(), mode) != 0) {
        fail("chmod");
    }
    std::size_t written = 0;
    while (written < content.size()) {
        ssize_t n = ::write(temp.fd(), content.data() + written, content.size() - written);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            fail("write");
        }
        written += static_cast<std::size_t>(n);
    }
    if (::fsync(temp.fd()) != 0) {
        fail("fsync");
    }
    if (temp.close() != 0) {
        fail("close");
    }
    if (::rename(temp.path().c_str(), target.c_str()) != 0) {
        fail("rename");
    }
    temp.release();
    int dir_fd = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
        ::fsync(dir_fd);
        ::close(dir_fd);
    }
}

} // namespace natty
