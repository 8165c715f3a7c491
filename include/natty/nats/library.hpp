#pragma once

namespace natty::nats {

// Opens nats.c on first use and keeps it open until the process exits, then closes it, waiting
// for its threads. Connection::connect calls it: a command that never connects (--version,
// --help, context, a usage error) never sets up nats.c, and so never OpenSSL's random generator
// that nats_Open seeds the NUID from. Safe to call from any thread, any number of times.
// Note: nats_Open ignores SIGPIPE process-wide (see Io::flush_out).
void open_library();

// Call first in main, before anything uses OpenSSL: tells OpenSSL not to run its cleanup at
// exit. That cleanup only frees memory the exiting process hands back anyway (~1 M
// instructions), and skipping it keeps nats.c's own exit hook safe: that hook frees OpenSSL's
// compression-method list, which OpenSSL's cleanup, when registered first (OpenSSL used before
// nats.c was opened, as when `server check connection` probes TLS before it connects), would
// then free a second time and crash the exit.
void prepare_process();

// "3.4.1"; needs no open library.
const char* library_version();

} // namespace natty::nats
