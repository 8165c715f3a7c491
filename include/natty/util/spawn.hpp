#pragma once

#include <initializer_list>
#include <spawn.h>

namespace natty {

// posix_spawn attributes for a child natty may have to stop: the given signals at their default
// disposition and nothing blocked from the child's first instruction. (A forked child runs
// natty's handlers until exec, and those only set a flag: a signal forwarded then was lost.)
class SpawnAttributes {
public:
    explicit SpawnAttributes(std::initializer_list<int> default_signals);
    ~SpawnAttributes();
    SpawnAttributes(const SpawnAttributes&) = delete;
    SpawnAttributes& operator=(const SpawnAttributes&) = delete;

    const posix_spawnattr_t* get() const { return &m_attributes; }

private:
    posix_spawnattr_t m_attributes{};
};

} // namespace natty
