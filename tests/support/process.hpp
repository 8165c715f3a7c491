#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace natty::test {

// Everything a test asserts about a finished process.
struct RunResult {
    int exit_code = -1; // exit status, or -signal if it was killed by a signal
    std::string out, err;
    bool timed_out = false;
};

// How to run a child; the environment is clean so the developer's settings never leak in.
struct RunOptions {
    // Merged over a base of PATH, HOME and LANG=C.UTF-8 (plus *SAN_OPTIONS when set).
    std::map<std::string, std::string> env;
    std::string stdin_data;
    // Close the child's stdin after stdin_data, so readers see EOF.
    bool close_stdin = true;
    std::chrono::milliseconds timeout{30000};
    std::optional<std::filesystem::path> cwd;
};

// Runs argv to completion, capturing both streams; on timeout kills the process group.
RunResult run(const std::vector<std::string>& argv, const RunOptions& opts = {});

// A long-running child (e.g. `natty sub`) whose output is read incrementally while tests act.
class Child {
public:
    // Starts argv in its own process group; throws if it cannot be executed.
    static std::unique_ptr<Child> spawn(const std::vector<std::string>& argv,
                                        const RunOptions& opts = {});

    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    // Kills the process group if the child is still running, and reaps it.
    ~Child();

    // Reads output until needle appears in stdout (or stderr), the streams close or time is up.
    bool wait_for_output(const std::string& needle, std::chrono::milliseconds timeout,
                         bool on_stderr = false);
    // Sends sig to the child process itself (not its group), e.g. SIGINT for a clean exit.
    void signal(int sig);
    // Waits for exit and end of output; on timeout SIGKILLs the group and sets timed_out.
    RunResult wait(std::chrono::milliseconds timeout);
    pid_t pid() const { return m_pid; }
    // Output captured so far (call wait_for_output or wait to read more).
    std::string out() const { return m_out; }
    std::string err() const { return m_err; }
    // Writes to the child's stdin, reading its output meanwhile so neither side can block.
    void write_stdin(std::string_view data);
    // Flushes pending stdin data and closes the pipe so the child sees EOF.
    void close_stdin();
    // True once the process has exited (it may not have been reaped yet).
    bool exited();

private:
    Child() = default;

    // One round of poll(): writes pending stdin, appends output; false when nothing can change.
    bool pump(std::chrono::steady_clock::time_point deadline);
    // Records the exit status without reaping, so the process group id stays ours.
    void check_exit();
    // SIGKILLs the whole group while the leader is still unreaped (and so cannot be recycled).
    void kill_group() noexcept;
    // Reaps the leader; afterwards the pid is never signalled again.
    void reap() noexcept;
    void close_fd(int& fd) noexcept;

    pid_t m_pid = -1;
    bool m_exited = false;
    bool m_reaped = false;
    int m_status = 0;
    int m_stdin = -1;
    int m_stdout = -1;
    int m_stderr = -1;
    bool m_close_stdin_when_flushed = false;
    std::string m_pending_stdin;
    std::string m_out;
    std::string m_err;
    std::chrono::milliseconds m_write_timeout{30000};
};

// Path of the natty binary under test, from $NATTY_BIN; throws if unset.
std::string natty_bin();

// Path of nats-server: $NATS_SERVER or /usr/sbin/nats-server.
std::string nats_server_bin();

namespace detail {

// Low-level fork+exec shared with NatsServer: the child gets its own process group, the given
// fds as stdin/stdout/stderr, default signal dispositions, no other inherited descriptors, and
// is SIGKILLed by the kernel if the test process dies first (PR_SET_PDEATHSIG: strictly, when
// the forking thread ends, so spawn from the main thread or one that outlives the child).
struct ExecSpec {
    std::vector<std::string> argv;
    std::map<std::string, std::string> env; // the complete environment
    std::optional<std::filesystem::path> cwd;
};

// Returns the pid; throws std::runtime_error if the program could not be executed. A negative
// fd stands for /dev/null.
pid_t fork_exec(const ExecSpec& spec, int stdin_fd, int stdout_fd, int stderr_fd);

// The clean base environment merged with overrides, as used by run() and Child.
std::map<std::string, std::string> child_env(const std::map<std::string, std::string>& overrides);

// Ignores SIGPIPE in the test process (fork_exec calls it) so writing to an exited child or a
// closed socket reports EPIPE instead of killing the test run.
void ignore_sigpipe();

} // namespace detail

} // namespace natty::test
