#pragma once

namespace natty::nats {

// Opens nats.c for the life of the process (first thing in main) and closes it, waiting for
// its threads, on the way out. Note: nats_Open ignores SIGPIPE process-wide (see Io::flush_out).
class Library {
public:
    Library();
    ~Library();
    Library(const Library&) = delete;
    Library& operator=(const Library&) = delete;
};

// "3.4.1"
const char* library_version();

} // namespace natty::nats
