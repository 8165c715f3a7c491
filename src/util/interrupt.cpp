#include <natty/util/interrupt.hpp>

#include <atomic>
#include <csignal>
#include <thread>

namespace natty {
namespace {

// A signal handler can only reach state with static storage: this flag, and the handlers
// that were installed before the guard (restored by ~InterruptGuard). Guards therefore must not
// overlap: a second one would reset the flag and save the first one's handler as "previous".
std::atomic<int> g_received_signal{0}; // NOLINT(cppcoreguidelines-avoid-non-const-global-variables)

void on_signal(int sig) { g_received_signal.store(sig); }

struct sigaction g_previous_int {};  // NOLINT: restored by ~InterruptGuard
struct sigaction g_previous_term {}; // NOLINT: restored by ~InterruptGuard

} // namespace

InterruptGuard::InterruptGuard() {
    g_received_signal.store(0);
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, &g_previous_int);
    ::sigaction(SIGTERM, &action, &g_previous_term);
}

InterruptGuard::~InterruptGuard() {
    ::sigaction(SIGINT, &g_previous_int, nullptr);
    ::sigaction(SIGTERM, &g_previous_term, nullptr);
}

bool InterruptGuard::requested() const { return g_received_signal.load() != 0; }

int InterruptGuard::signal_number() const { return g_received_signal.load(); }

ExitCode InterruptGuard::exit_code() const {
    return signal_number() == SIGTERM ? ExitCode::terminated : ExitCode::interrupted;
}

bool InterruptGuard::wait_for(std::chrono::milliseconds duration) const {
    const auto deadline = std::chrono::steady_clock::now() + duration;
    while (std::chrono::steady_clock::now() < deadline) {
        if (requested()) {
            return true;
        }
        std::this_thread::sleep_for(std::min(std::chrono::milliseconds(20),
                                             std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 deadline - std::chrono::steady_clock::now())));
    }
    return requested();
}

} // namespace natty
