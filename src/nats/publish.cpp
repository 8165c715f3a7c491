#include <natty/nats/publish.hpp>

#include <natty/nats/error.hpp>

#include <climits>

namespace natty::nats {
namespace {

constexpr const char* k_permission_hint = "the server's permissions for this user do not allow it";

} // namespace

Message make_message(const std::string& subject,
                     const std::string& reply,
                     std::string_view data,
                     const Headers& headers) {
    auto msg = Message::create(subject, reply, data);
    for (const auto& [key, values] : headers) {
        for (const auto& value : values) {
            msg.add_header(key, value);
        }
    }
    return msg;
}

void publish(Connection& connection,
             const std::string& subject,
             const std::string& reply,
             std::string_view data,
             const Headers& headers) {
    natsStatus status = NATS_OK;
    if (headers.empty()) {
        if (data.size() > static_cast<std::size_t>(INT_MAX)) {
            throw UsageError("payload of " + std::to_string(data.size()) + " bytes is too large");
        }
        const int size = static_cast<int>(data.size());
        status = reply.empty()
                     ? natsConnection_Publish(connection.get(), subject.c_str(), data.data(), size)
                     : natsConnection_PublishRequest(
                         connection.get(), subject.c_str(), reply.c_str(), data.data(), size);
    } else {
        const auto msg = make_message(subject, reply, data, headers);
        status = natsConnection_PublishMsg(connection.get(), msg.get());
    }
    if (status != NATS_OK) {
        check(status, "publish to \"" + subject + "\"");
    }
}

void raise_async_error(Connection& connection, std::string_view what) {
    if (auto err = connection.take_async_error()) {
        throw NatsError(err->status,
                        describe(err->status, what, err->text),
                        err->status == NATS_NOT_PERMITTED ? k_permission_hint : "");
    }
    const char* text = nullptr;
    const natsStatus last = natsConnection_GetLastError(connection.get(), &text);
    if (last == NATS_NOT_PERMITTED) {
        throw NatsError(last, describe(last, what, text == nullptr ? "" : text), k_permission_hint);
    }
}

void raise_if_closed(Connection& connection, std::string_view what) {
    if (!natsConnection_IsClosed(connection.get())) {
        return;
    }
    const char* text = nullptr;
    natsConnection_GetLastError(connection.get(), &text);
    const std::string reason = text == nullptr || *text == '\0' ? "" : std::string(": ") + text;
    throw NatsError(NATS_CONNECTION_CLOSED,
                    std::string(what) + ": the connection to the server was closed" + reason);
}

PubAck jetstream_publish(JetStream& js, const Message& message, std::string_view what) {
    jsPubAck* raw = nullptr;
    jsErrCode code{};
    const natsStatus status = js_PublishMsg(&raw, js.get(), message.get(), nullptr, &code);
    const PubAckHandle ack(raw);
    // Before the JetStream mapping, which reads no responders as "JetStream is not enabled":
    // on publish it means no stream stores the subject.
    if (status == NATS_NO_RESPONDERS) {
        clear_last_error();
        throw NatsError(status, std::string(what) + ": no responders");
    }
    if (status != NATS_OK) {
        raise_async_error(js.connection(), what);
    }
    check_js(status, code, what);
    PubAck out;
    out.stream = ack->Stream == nullptr ? "" : ack->Stream;
    out.sequence = ack->Sequence;
    out.domain = ack->Domain == nullptr ? "" : ack->Domain;
    out.duplicate = ack->Duplicate;
    return out;
}

} // namespace natty::nats
