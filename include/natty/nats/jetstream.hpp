#pragma once

#include <natty/nats/connection.hpp>
#include <natty/nats/handle.hpp>

#include <string>

namespace natty::nats {

// A JetStream context bound to a connection, honouring --js-domain / --js-api-prefix and the
// --timeout for API requests. The connection must outlive it.
class JetStream {
public:
    explicit JetStream(Connection& connection);

    jsCtx* get() const { return m_js.get(); }
    Connection& connection() const { return *m_connection; }

    // Account usage and limits; throws a clear error when JetStream is not enabled.
    AccountInfoHandle account_info();

private:
    Connection* m_connection;
    JetStreamHandle m_js;
};

// Maps a failed JetStream call to an Error: "JetStream is not enabled" for no-responders /
// err_code 10039, not-found stays not-found, otherwise "<what>: <reason>".
[[noreturn]] void throw_jetstream_error(natsStatus status, jsErrCode code, std::string_view what);

// check() for JetStream calls that also return a jsErrCode.
inline void check_js(natsStatus status, jsErrCode code, std::string_view what) {
    if (status != NATS_OK) {
        throw_jetstream_error(status, code, what);
    }
}

} // namespace natty::nats
