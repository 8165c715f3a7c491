#include <natty/nats/error.hpp>
#include <natty/nats/library.hpp>

#include <nats/nats.h>
#include <openssl/crypto.h>

namespace natty::nats {
namespace {

class Library {
public:
    Library() {
        check(nats_Open(-1), "cannot initialise the NATS library");
        // One delivery thread for every asynchronous subscription (connections opt in, see
        // connection.cpp): messages reach natty in the order the server sent them, across
        // subscriptions too, e.g. a request and its reply under `sub --match-replies`.
        check(nats_SetMessageDeliveryPoolSize(1), "cannot size the message delivery pool");
    }
    ~Library() { nats_CloseAndWait(2000); }
    Library(const Library&) = delete;
    Library& operator=(const Library&) = delete;
};

} // namespace

void open_library() {
    // nats.c's state (its timer, callback and GC threads, the NUID, the delivery pool) is
    // process-wide, so its owner is too: this one static, the only one natty has, is built by
    // the first connect (thread-safely; a failed open is retried by the next) and destroyed at
    // exit only if it was built. An owner passed down from main would need every in-process
    // run_cli to bring one, and two owners would close the library under each other.
    static const Library library;
}

void prepare_process() {
    OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr);
}

const char* library_version() { return nats_GetVersion(); }

} // namespace natty::nats
