#pragma once

#include <natty/nats/connection.hpp>
#include <natty/nats/handle.hpp>
#include <natty/nats/stream_info.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
    // The same as plain values.
    AccountInfo account();

    // The stream's configuration, state and placement; nullopt when there is no such stream.
    std::optional<StreamInfo> stream_info(const std::string& name);
    // Every stream with a subject matching the filter, sorted by name; empty when there is none.
    // Failures throw "<what>: <reason>".
    std::vector<StreamInfo> streams(const std::string& subject_filter,
                                    std::string_view what = "list streams");

    // nats.c's information on stream `name`; an empty handle when it does not exist. Other
    // failures throw "<what>: <reason>". The one stream lookup the other functions build on.
    StreamInfoHandle stream_info_handle(const std::string& name, std::string_view what);

private:
    Connection* m_connection;
    JetStreamHandle m_js;
};

// Throws UsageError("<what>: invalid stream name ...") unless `name` is a valid stream name:
// nats.c pastes names into API subjects and JSON as given.
void require_stream_name(const std::string& name, std::string_view what);

// Plain copies of nats.c's stream and account information.
StreamInfo to_stream_info(const jsStreamInfo& info);
AccountInfo to_account_info(const jsAccountInfo& info);

// Maps a failed JetStream call to an Error: "JetStream is not enabled" for no-responders /
// err_code 10039 or 10076, not-found stays not-found, otherwise "<what>: <reason>".
[[noreturn]] void throw_jetstream_error(natsStatus status, jsErrCode code, std::string_view what);

// check() for JetStream calls that also return a jsErrCode.
inline void check_js(natsStatus status, jsErrCode code, std::string_view what) {
    if (status != NATS_OK) {
        throw_jetstream_error(status, code, what);
    }
}

} // namespace natty::nats
