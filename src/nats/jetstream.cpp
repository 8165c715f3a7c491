#include <natty/nats/jetstream.hpp>
#include <natty/util/redact.hpp>

namespace natty::nats {

JetStream::JetStream(Connection& connection) : m_connection(&connection) {
    const ConnectSpec& spec = connection.spec();
    jsOptions options;
    check(jsOptions_Init(&options), "initialise JetStream options");
    options.Wait = to_millis(spec.timeout);
    if (!spec.jetstream_domain.empty()) {
        options.Domain = spec.jetstream_domain.c_str();
    }
    if (!spec.jetstream_api_prefix.empty()) {
        options.Prefix = spec.jetstream_api_prefix.c_str();
    }
    m_js = make<JetStreamHandle>("create JetStream context", natsConnection_JetStream,
                                 connection.get(), &options);
}

AccountInfoHandle JetStream::account_info() {
    jsAccountInfo* raw = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    const natsStatus status = js_GetAccountInfo(&raw, m_js.get(), nullptr, &code);
    check_js(status, code, "read JetStream account information");
    return AccountInfoHandle(raw);
}

void throw_jetstream_error(natsStatus status, jsErrCode code, std::string_view what) {
    const std::string detail = last_error_detail(status);
    // 10039: "jetstream not enabled for account"; without JetStream the API has no responders.
    if (status == NATS_NO_RESPONDERS || code == static_cast<jsErrCode>(10039) ||
        detail.find("not enabled") != std::string::npos) {
        throw NatsError(NATS_ERR, std::string(what) + ": JetStream is not enabled on this server "
                                                      "or account",
                        "start nats-server with -js (or a jetstream {} block), or check the "
                        "account's JetStream limits");
    }
    throw NatsError(status, describe(status, what, detail));
}

} // namespace natty::nats
