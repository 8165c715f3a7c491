#include <natty/nats/error.hpp>
#include <natty/nats/library.hpp>

#include <nats/nats.h>

namespace natty::nats {

Library::Library() {
    check(nats_Open(-1), "cannot initialise the NATS library");
    // One delivery thread for every asynchronous subscription (connections opt in, see
    // connection.cpp): messages reach natty in the order the server sent them, across
    // subscriptions too, e.g. a request and its reply under `sub --match-replies`.
    check(nats_SetMessageDeliveryPoolSize(1), "cannot size the message delivery pool");
}

Library::~Library() { nats_CloseAndWait(2000); }

const char* library_version() { return nats_GetVersion(); }

} // namespace natty::nats
