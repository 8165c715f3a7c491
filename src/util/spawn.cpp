#include <natty/util/spawn.hpp>

#include <csignal>

namespace natty {

SpawnAttributes::SpawnAttributes(std::initializer_list<int> default_signals) {
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

SpawnAttributes::~SpawnAttributes() { posix_spawnattr_destroy(&m_attributes); }

} // namespace natty
