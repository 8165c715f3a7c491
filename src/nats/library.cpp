#include <natty/nats/error.hpp>
#include <natty/nats/library.hpp>

#include <nats/nats.h>

namespace natty::nats {

Library::Library() { check(nats_Open(-1), "cannot initialise the NATS library"); }

Library::~Library() { nats_CloseAndWait(2000); }

const char* library_version() { return nats_GetVersion(); }

} // namespace natty::nats
