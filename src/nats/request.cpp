#include <natty/nats/request.hpp>

#include <natty/nats/error.hpp>

#include <climits>

namespace natty::nats {

Message request(Connection& connection,
                const std::string& subject,
                std::string_view data,
                Duration timeout) {
    if (data.size() > static_cast<std::size_t>(INT_MAX)) {
        throw NatsError(NATS_INVALID_ARG, "request to " + subject + ": the payload is too large");
    }
    natsMsg* raw = nullptr;
    const natsStatus status = natsConnection_Request(&raw,
                                                     connection.get(),
                                                     subject.c_str(),
                                                     data.data(),
                                                     static_cast<int>(data.size()),
                                                     to_millis(timeout));
    MessageHandle reply(raw);
    check(status, "request to " + subject + " failed");
    return Message(std::move(reply));
}

} // namespace natty::nats
