#include <natty/nats/error.hpp>

extern "C" {
// Exported by libnats but declared only in its internal err.h.
void nats_clearLastError(void);
}

namespace natty::nats {

void clear_last_error() {
    nats_clearLastError();
}

bool NatsError::not_found() const {
    return m_status == NATS_NOT_FOUND;
}

bool NatsError::timed_out() const {
    return m_status == NATS_TIMEOUT;
}

bool NatsError::no_responders() const {
    return m_status == NATS_NO_RESPONDERS;
}

bool NatsError::not_permitted() const {
    return m_status == NATS_NOT_PERMITTED;
}

bool NatsError::connection_lost() const {
    return m_status == NATS_CONNECTION_CLOSED || m_status == NATS_CONNECTION_DISCONNECTED
           || m_status == NATS_STALE_CONNECTION || m_status == NATS_NO_SERVER;
}

std::string describe(natsStatus status, std::string_view what, const std::string& detail) {
    std::string message(what);
    std::string reason = natsStatus_GetText(status);
    if (!detail.empty() && detail != reason) {
        reason = detail;
    }
    if (!reason.empty()) {
        message += ": " + reason;
    }
    return message;
}

NatsError::NatsError(natsStatus status, ExitCode code, const std::string& message)
    : Error(code, message), m_status(status) {}

NatsError::NatsError(natsStatus status, const std::string& message, std::string hint)
    : Error(exit_code_for(status), message, std::move(hint)), m_status(status) {}

ExitCode exit_code_for(natsStatus status) {
    switch (status) {
    case NATS_OK: return ExitCode::ok;
    case NATS_NO_SERVER:
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_IO_ERROR:
    case NATS_STALE_CONNECTION: return ExitCode::connect;
    case NATS_CONNECTION_AUTH_FAILED:
    case NATS_NOT_PERMITTED: return ExitCode::denied;
    case NATS_SSL_ERROR:
    case NATS_SECURE_CONNECTION_WANTED: return ExitCode::tls;
    case NATS_NOT_FOUND:
    case NATS_NO_RESPONDERS: return ExitCode::not_found;
    case NATS_TIMEOUT: return ExitCode::timeout;
    case NATS_INVALID_SUBJECT:
    case NATS_INVALID_ARG:
    case NATS_INVALID_QUEUE_NAME: return ExitCode::usage;
    default: return ExitCode::failure;
    }
}

std::string last_error_detail(natsStatus status) {
    natsStatus last = NATS_OK;
    const char* text = nats_GetLastError(&last);
    if (text == nullptr || last != status) {
        return {};
    }
    std::string detail(text);
    // nats.c prefixes "(conn.c:1905): ": keep only the message.
    if (!detail.empty() && detail.front() == '(') {
        const auto close = detail.find("): ");
        if (close != std::string::npos) {
            detail.erase(0, close + 3);
        }
    }
    return detail;
}

void check(natsStatus status, std::string_view what) {
    if (status != NATS_OK) {
        const std::string detail = last_error_detail(status);
        throw NatsError(status, describe(status, what, detail));
    }
}

} // namespace natty::nats
