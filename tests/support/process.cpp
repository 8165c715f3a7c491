#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <utility>

namespace natty::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t chunk_size = 64 * 1024;
// How long stray grandchildren may keep the output pipes open after the child itself exited.
constexpr std::chrono::milliseconds exit_grace{2000};

// Closes a descriptor on scope exit unless released; keeps spawn() leak-free when it throws.
class FdGuard {
public:
    explicit FdGuard(int fd = -1) : m_fd(fd) {}
    ~FdGuard() {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
    }
    FdGuard(const FdGuard&) = delete;
    FdGuard& operator=(const FdGuard&) = delete;
    int get() const { return m_fd; }
    int release() { return std::exchange(m_fd, -1); }
    void reset(int fd = -1) {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
        m_fd = fd;
    }

private:
    int m_fd;
};

// Both ends end up above 2 even if the test process closed its own stdio, so they can never
// be confused with the child's stdin/stdout/stderr.
void make_pipe(FdGuard& read_end, FdGuard& write_end) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        throw std::runtime_error(std::string("pipe2 failed: ") + std::strerror(errno));
    }
    read_end.reset(fds[0]);
    write_end.reset(fds[1]);
    for (FdGuard* end : {&read_end, &write_end}) {
        if (end->get() < 3) {
            const int moved = ::fcntl(end->get(), F_DUPFD_CLOEXEC, 3);
            if (moved < 0) {
                throw std::runtime_error(std::string("fcntl(F_DUPFD) failed: ") +
                                         std::strerror(errno));
            }
            end->reset(moved);
        }
    }
}

void set_nonblocking(int fd) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
        throw std::runtime_error(std::string("fcntl(O_NONBLOCK) failed: ") + std::strerror(errno));
    }
}

// Finds argv[0] the way execvp would, but in the child's PATH rather than ours.
std::string resolve_program(const std::string& name,
                            const std::map<std::string, std::string>& env) {
    if (name.find('/') != std::string::npos) {
        return name;
    }
    auto it = env.find("PATH");
    const std::string path = it != env.end() ? it->second : "/usr/local/bin:/usr/bin:/bin";
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t end = path.find(':', start);
        if (end == std::string::npos) {
            end = path.size();
        }
        const std::string dir = end > start ? path.substr(start, end - start) : ".";
        const std::string candidate = dir + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
        start = end + 1;
    }
    throw std::runtime_error("cannot execute " + name + ": not found in PATH=" + path);
}

// Only async-signal-safe calls from here on: the parent may have other threads.
[[noreturn]] void exec_child(const char* program, char* const* argv, char* const* envp,
                             const char* cwd, int stdin_fd, int stdout_fd, int stderr_fd,
                             int error_fd, pid_t parent) {
    ::setpgid(0, 0);
    // If the test binary dies without running destructors (crash, SIGKILL, closed pipe), the
    // kernel kills its children too, so no server or natty process outlives the test run.
    const bool armed = ::prctl(PR_SET_PDEATHSIG, SIGKILL) == 0;
    if (!armed || ::getppid() != parent) {
        int code = armed ? ESRCH : errno;
        [[maybe_unused]] ssize_t n = ::write(error_fd, &code, sizeof code);
        ::_exit(127);
    }

    // Move the sources above 2 first so dup2 below can never clobber one with another.
    int fds[3] = {stdin_fd, stdout_fd, stderr_fd};
    for (int& fd : fds) {
        if (fd < 0) {
            fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
        }
        if (fd >= 0 && fd < 3) {
            fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
        }
    }
    for (int target = 0; target < 3; ++target) {
        if (fds[target] < 0 || ::dup2(fds[target], target) < 0) {
            int code = errno != 0 ? errno : EBADF;
            [[maybe_unused]] ssize_t n = ::write(error_fd, &code, sizeof code);
            ::_exit(127);
        }
    }

    // Nothing else the test process has open (servers' sockets, other children's pipes) leaks.
    const auto error_ufd = static_cast<unsigned int>(error_fd);
    if (error_ufd > 3) {
        ::close_range(3, error_ufd - 1, 0);
    }
    ::close_range(error_ufd + 1, ~0U, 0);

    // Ignored signals survive exec; natty must see the defaults (SIGPIPE especially).
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    ::sigemptyset(&default_action.sa_mask);
    for (int sig = 1; sig < NSIG; ++sig) {
        if (sig != SIGKILL && sig != SIGSTOP) {
            ::sigaction(sig, &default_action, nullptr);
        }
    }
    sigset_t empty_set;
    ::sigemptyset(&empty_set);
    ::sigprocmask(SIG_SETMASK, &empty_set, nullptr);

    if (cwd != nullptr && ::chdir(cwd) != 0) {
        int code = errno;
        [[maybe_unused]] ssize_t n = ::write(error_fd, &code, sizeof code);
        ::_exit(127);
    }
    ::execve(program, argv, envp);
    int code = errno;
    [[maybe_unused]] ssize_t n = ::write(error_fd, &code, sizeof code);
    ::_exit(127);
}

} // namespace

namespace detail {

void ignore_sigpipe() {
    static const bool installed = [] {
        struct sigaction action {};
        action.sa_handler = SIG_IGN;
        ::sigemptyset(&action.sa_mask);
        return ::sigaction(SIGPIPE, &action, nullptr) == 0;
    }();
    static_cast<void>(installed);
}

std::map<std::string, std::string> child_env(const std::map<std::string, std::string>& overrides) {
    std::map<std::string, std::string> env;
    const char* path = std::getenv("PATH");
    env["PATH"] = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
    const char* home = std::getenv("HOME");
    env["HOME"] = home != nullptr ? home : "/";
    env["LANG"] = "C.UTF-8";
    // Sanitizer settings do not change natty's behaviour, only how a sanitized build reports.
    for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"}) {
        if (const char* value = std::getenv(name); value != nullptr) {
            env[name] = value;
        }
    }
    for (const auto& [key, value] : overrides) {
        env[key] = value;
    }
    return env;
}

pid_t fork_exec(const ExecSpec& spec, int stdin_fd, int stdout_fd, int stderr_fd) {
    if (spec.argv.empty()) {
        throw std::invalid_argument("fork_exec: empty argv");
    }
    std::string program = resolve_program(spec.argv.front(), spec.env);

    // Everything the child needs is built before fork; the child only reads it.
    std::vector<std::string> args = spec.argv;
    std::vector<char*> argv_ptrs;
    for (std::string& arg : args) {
        argv_ptrs.push_back(arg.data());
    }
    argv_ptrs.push_back(nullptr);
    std::vector<std::string> env_entries;
    for (const auto& [key, value] : spec.env) {
        env_entries.push_back(key + "=" + value);
    }
    std::vector<char*> env_ptrs;
    for (std::string& entry : env_entries) {
        env_ptrs.push_back(entry.data());
    }
    env_ptrs.push_back(nullptr);
    const std::string cwd = spec.cwd ? spec.cwd->string() : std::string();

    ignore_sigpipe();
    FdGuard error_read, error_write;
    make_pipe(error_read, error_write);

    const pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) {
        throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
    }
    if (pid == 0) {
        exec_child(program.c_str(), argv_ptrs.data(), env_ptrs.data(),
                   spec.cwd ? cwd.c_str() : nullptr, stdin_fd, stdout_fd, stderr_fd,
                   error_write.get(), parent);
    }
    // Also set the group here so the parent can signal it even if it wins the race.
    ::setpgid(pid, pid);
    error_write.reset();

    int child_errno = 0;
    ssize_t n = 0;
    do {
        n = ::read(error_read.get(), &child_errno, sizeof child_errno);
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        throw std::runtime_error("cannot execute " + program + ": " + std::strerror(child_errno));
    }
    return pid;
}

} // namespace detail

std::unique_ptr<Child> Child::spawn(const std::vector<std::string>& argv, const RunOptions& opts) {
    FdGuard in_read, in_write, out_read, out_write, err_read, err_write;
    make_pipe(in_read, in_write);
    make_pipe(out_read, out_write);
    make_pipe(err_read, err_write);
    set_nonblocking(in_write.get());
    set_nonblocking(out_read.get());
    set_nonblocking(err_read.get());

    detail::ExecSpec spec{argv, detail::child_env(opts.env), opts.cwd};
    std::unique_ptr<Child> child(new Child());
    child->m_pid = detail::fork_exec(spec, in_read.get(), out_write.get(), err_write.get());
    child->m_stdin = in_write.release();
    child->m_stdout = out_read.release();
    child->m_stderr = err_read.release();
    child->m_pending_stdin = opts.stdin_data;
    child->m_close_stdin_when_flushed = opts.close_stdin;
    child->m_write_timeout = opts.timeout;
    if (opts.close_stdin && opts.stdin_data.empty()) {
        child->close_fd(child->m_stdin);
    }
    return child;
}

Child::~Child() {
    if (!m_reaped) {
        kill_group();
        reap();
    }
    close_fd(m_stdin);
    close_fd(m_stdout);
    close_fd(m_stderr);
}

void Child::close_fd(int& fd) noexcept {
    if (fd >= 0) {
        ::close(fd);
        fd = -1;
    }
}

void Child::check_exit() {
    if (m_exited || m_pid <= 0) {
        return;
    }
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(m_pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
        info.si_pid == m_pid) {
        m_exited = true;
    }
}

bool Child::exited() {
    check_exit();
    return m_exited;
}

void Child::kill_group() noexcept {
    if (m_pid > 0 && !m_reaped) {
        if (::kill(-m_pid, SIGKILL) != 0) {
            ::kill(m_pid, SIGKILL);
        }
    }
}

void Child::reap() noexcept {
    if (m_pid <= 0 || m_reaped) {
        return;
    }
    int status = 0;
    pid_t result = 0;
    do {
        result = ::waitpid(m_pid, &status, 0);
    } while (result < 0 && errno == EINTR);
    m_status = status;
    m_reaped = true;
    m_exited = true;
}

bool Child::pump(Clock::time_point deadline) {
    if (m_stdin >= 0 && m_pending_stdin.empty() && m_close_stdin_when_flushed) {
        close_fd(m_stdin);
    }
    pollfd fds[3];
    nfds_t count = 0;
    int* owners[3];
    if (m_stdin >= 0 && !m_pending_stdin.empty()) {
        fds[count] = {m_stdin, POLLOUT, 0};
        owners[count++] = &m_stdin;
    }
    if (m_stdout >= 0) {
        fds[count] = {m_stdout, POLLIN, 0};
        owners[count++] = &m_stdout;
    }
    if (m_stderr >= 0) {
        fds[count] = {m_stderr, POLLIN, 0};
        owners[count++] = &m_stderr;
    }
    if (count == 0) {
        return false;
    }

    // Wake up regularly so callers can notice the child's exit even while pipes stay open.
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    const auto wait_ms = static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(
        remaining.count(), 0, 100));
    int ready = ::poll(fds, count, wait_ms);
    if (ready <= 0) {
        return true;
    }

    for (nfds_t i = 0; i < count; ++i) {
        if (fds[i].revents == 0) {
            continue;
        }
        int& fd = *owners[i];
        if (&fd == &m_stdin) {
            const std::size_t size = std::min(m_pending_stdin.size(), chunk_size);
            ssize_t n = ::write(fd, m_pending_stdin.data(), size);
            if (n > 0) {
                m_pending_stdin.erase(0, static_cast<std::size_t>(n));
            } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                // The child closed its stdin (EPIPE): nothing more can be delivered.
                m_pending_stdin.clear();
                close_fd(fd);
            }
            if (fd >= 0 && m_pending_stdin.empty() && m_close_stdin_when_flushed) {
                close_fd(fd);
            }
            continue;
        }
        std::string& sink = &fd == &m_stdout ? m_out : m_err;
        char buffer[chunk_size];
        for (;;) {
            ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n > 0) {
                sink.append(buffer, static_cast<std::size_t>(n));
                continue;
            }
            if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                close_fd(fd);
            }
            break;
        }
    }
    return true;
}

bool Child::wait_for_output(const std::string& needle, std::chrono::milliseconds timeout,
                            bool on_stderr) {
    const auto deadline = Clock::now() + timeout;
    const std::string& buffer = on_stderr ? m_err : m_out;
    const int& fd = on_stderr ? m_stderr : m_stdout;
    std::size_t search_from = 0;
    for (;;) {
        if (buffer.find(needle, search_from) != std::string::npos) {
            return true;
        }
        if (fd < 0 || Clock::now() >= deadline) {
            return false;
        }
        // Only the tail that could still complete a match needs searching again.
        search_from = buffer.size() >= needle.size() ? buffer.size() - needle.size() + 1 : 0;
        if (!pump(deadline)) {
            return false;
        }
    }
}

void Child::signal(int sig) {
    if (m_pid > 0 && !m_reaped && ::kill(m_pid, sig) != 0) {
        throw std::runtime_error("kill(" + std::to_string(m_pid) + ", " + std::to_string(sig) +
                                 ") failed: " + std::strerror(errno));
    }
}

void Child::write_stdin(std::string_view data) {
    if (m_stdin < 0) {
        throw std::logic_error("Child::write_stdin: stdin is closed");
    }
    m_pending_stdin.append(data);
    const auto deadline = Clock::now() + m_write_timeout;
    while (m_stdin >= 0 && !m_pending_stdin.empty()) {
        if (Clock::now() >= deadline) {
            throw std::runtime_error("Child::write_stdin: child did not read its input in time");
        }
        pump(deadline);
    }
}

void Child::close_stdin() {
    m_close_stdin_when_flushed = true;
    const auto deadline = Clock::now() + m_write_timeout;
    while (m_stdin >= 0 && !m_pending_stdin.empty() && Clock::now() < deadline) {
        pump(deadline);
    }
    m_pending_stdin.clear();
    close_fd(m_stdin);
}

RunResult Child::wait(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    RunResult result;
    // The test is done talking to the child: let it see EOF once pending input is delivered.
    m_close_stdin_when_flushed = true;
    std::optional<Clock::time_point> exit_seen;
    while (!m_reaped) {
        check_exit();
        const bool streams_open = m_stdout >= 0 || m_stderr >= 0;
        if (m_exited && !streams_open) {
            break;
        }
        const auto now = Clock::now();
        if (m_exited && !exit_seen) {
            exit_seen = now;
        }
        if (exit_seen && now >= *exit_seen + exit_grace) {
            // Grandchildren in the group still hold the pipes: end them, not the test.
            kill_group();
            break;
        }
        if (now >= deadline) {
            result.timed_out = true;
            kill_group();
            break;
        }
        auto until = deadline;
        if (exit_seen) {
            until = std::min(until, *exit_seen + exit_grace);
        }
        if (!pump(until)) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }

    // Collect what was written before the kill, bounded in case a detached process holds a pipe.
    const auto drain_deadline = Clock::now() + exit_grace;
    while ((m_stdout >= 0 || m_stderr >= 0) && Clock::now() < drain_deadline) {
        pump(drain_deadline);
    }
    m_pending_stdin.clear();
    close_fd(m_stdin);
    close_fd(m_stdout);
    close_fd(m_stderr);
    reap();

    if (WIFEXITED(m_status)) {
        result.exit_code = WEXITSTATUS(m_status);
    } else if (WIFSIGNALED(m_status)) {
        result.exit_code = -WTERMSIG(m_status);
    }
    result.out = m_out;
    result.err = m_err;
    return result;
}

RunResult run(const std::vector<std::string>& argv, const RunOptions& opts) {
    return Child::spawn(argv, opts)->wait(opts.timeout);
}

std::string natty_bin() {
    const char* value = std::getenv("NATTY_BIN");
    if (value == nullptr || *value == '\0') {
        throw std::runtime_error("NATTY_BIN is not set; point it at the natty binary under test");
    }
    return value;
}

std::string nats_server_bin() {
    const char* value = std::getenv("NATS_SERVER");
    return value != nullptr && *value != '\0' ? value : "/usr/sbin/nats-server";
}

} // namespace natty::test
