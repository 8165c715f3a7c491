#include <natty/util/spawn.hpp>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>

namespace natty {
namespace {

constexpr int k_poll_ms = 20;

// posix_spawn attributes: the given signals at their default disposition and nothing blocked
// from the child's first instruction. (A forked child would run natty's handlers until exec,
// and those only set a flag: a signal forwarded then was lost.)
class SpawnAttributes {
public:
    explicit SpawnAttributes(const std::vector<int>& default_signals) {
        posix_spawnattr_init(&m_attributes);
        sigset_t defaults;
        sigemptyset(&defaults);
        for (const int sig : default_signals) {
            sigaddset(&defaults, sig);
        }
        posix_spawnattr_setsigdefault(&m_attributes, &defaults);
        sigset_t none;
        sigemptyset(&none);
        posix_spawnattr_setsigmask(&m_attributes, &none);
        posix_spawnattr_setflags(&m_attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    }
    ~SpawnAttributes() { posix_spawnattr_destroy(&m_attributes); }
    SpawnAttributes(const SpawnAttributes&) = delete;
    SpawnAttributes& operator=(const SpawnAttributes&) = delete;
    const posix_spawnattr_t* get() const { return &m_attributes; }

private:
    posix_spawnattr_t m_attributes{};
};

class FileActions {
public:
    FileActions() { posix_spawn_file_actions_init(&m_actions); }
    ~FileActions() { posix_spawn_file_actions_destroy(&m_actions); }
    FileActions(const FileActions&) = delete;
    FileActions& operator=(const FileActions&) = delete;
    posix_spawn_file_actions_t* get() { return &m_actions; }

private:
    posix_spawn_file_actions_t m_actions{};
};

// argv[0] as a path: itself when it names one, else the first executable of that name in PATH.
std::string resolve_program(const std::string& name, const Environment& env) {
    if (name.find('/') != std::string::npos) {
        return name;
    }
    std::string path = env.get("PATH");
    if (!env.has("PATH")) {
        path = "/usr/local/bin:/usr/bin:/bin";
    }
    std::size_t start = 0;
    while (start <= path.size()) {
        const std::size_t end = std::min(path.find(':', start), path.size());
        const std::string dir = end > start ? path.substr(start, end - start) : ".";
        const std::string candidate = dir + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
        start = end + 1;
    }
    throw SpawnError(name, ENOENT);
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (auto& s : strings) {
        out.push_back(s.data());
    }
    out.push_back(nullptr);
    return out;
}

int exit_status(int status) {
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Sends the child SIGTERM once, the first time `stop` says so.
class Stopper {
public:
    Stopper(pid_t pid, const std::function<bool()>& stop) : m_pid(pid), m_stop(stop) {}
    void check() {
        if (!m_sent && m_stop()) {
            ::kill(m_pid, SIGTERM);
            m_sent = true;
        }
    }

private:
    pid_t m_pid;
    const std::function<bool()>& m_stop;
    bool m_sent = false;
};

// Reads the capture pipe until the child closes it.
void collect(int fd, ChildResult& result, Stopper& stopper) {
    char buf[8192];
    for (;;) {
        pollfd pfd{fd, POLLIN, 0};
        if (::poll(&pfd, 1, k_poll_ms) > 0) {
            const ssize_t n = ::read(fd, buf, sizeof buf);
            if (n > 0) {
                result.output.append(buf, static_cast<std::size_t>(n));
                continue;
            }
            if (n == 0 || errno != EINTR) {
                return;
            }
        }
        stopper.check();
    }
}

// Waits for the child; polled rather than blocking in waitpid, so a signal that arrives just
// before the wait is not missed.
int wait_for(pid_t pid, Stopper& stopper) {
    int status = 0;
    for (;;) {
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) {
            return exit_status(status);
        }
        if (done < 0 && errno != EINTR) {
            throw Error(ExitCode::failure,
                        std::string("cannot wait for a child process: ") + std::strerror(errno));
        }
        stopper.check();
        ::poll(nullptr, 0, k_poll_ms);
    }
}

} // namespace

SpawnError::SpawnError(const std::string& program, int errno_value)
    : Error(ExitCode::failure, "cannot run " + program + ": " + std::strerror(errno_value)),
      m_errno(errno_value), m_reason(std::strerror(errno_value)) {}

ChildResult run_child(const ChildSpec& spec, const std::function<bool()>& stop) {
    if (spec.argv.empty()) {
        throw SpawnError("an empty command", ENOENT);
    }
    const std::string program = resolve_program(spec.argv.front(), spec.env);
    std::vector<std::string> args = spec.argv;
    std::vector<std::string> env = spec.env.entries();
    const auto argp = pointers(args);
    const auto envp = pointers(env);
    const SpawnAttributes attributes(spec.default_signals);
    FileActions actions;
    int fds[2] = {-1, -1};
    if (spec.capture_output) {
        if (::pipe2(fds, O_CLOEXEC) != 0) {
            throw Error(ExitCode::failure,
                        std::string("cannot run ") + spec.argv.front()
                            + ": pipe: " + std::strerror(errno));
        }
        posix_spawn_file_actions_adddup2(actions.get(), fds[1], STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(actions.get(), fds[1], STDERR_FILENO);
        posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    }
    pid_t pid = 0;
    const int error = ::posix_spawn(
        &pid, program.c_str(), actions.get(), attributes.get(), argp.data(), envp.data());
    if (spec.capture_output) {
        ::close(fds[1]);
    }
    if (error != 0) {
        if (spec.capture_output) {
            ::close(fds[0]);
        }
        throw SpawnError(spec.argv.front(), error);
    }
    ChildResult result;
    Stopper stopper(pid, stop);
    if (spec.capture_output) {
        collect(fds[0], result, stopper);
        ::close(fds[0]);
    }
    result.status = wait_for(pid, stopper);
    return result;
}

} // namespace natty
