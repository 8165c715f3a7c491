#pragma once

#include <natty/nats/connection.hpp>
#include <natty/nats/error.hpp>

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>

namespace natty::nats {

// An error the JetStream API put in its reply, e.g.
// {"error":{"code":404,"err_code":10059,"description":"stream not found"}}. Its exit code
// follows the HTTP-like "code" (api_code()): 404 not found (7), 403 denied (5), 400 usage
// (2), anything else 1.
class JetStreamApiError : public NatsError {
public:
    JetStreamApiError(int code,
                      int err_code,
                      const std::string& description,
                      std::string_view what);

    int api_code() const { return m_code; }
    // The server's own error number (10059 "stream not found", 10014 "consumer not found", ...).
    int err_code() const { return m_err_code; }
    const std::string& description() const { return m_description; }

private:
    int m_code;
    int m_err_code;
    std::string m_description;
};

// Typed requests to the JetStream API ($JS.API.*), for what nats.c's js_* functions do not
// return as the server sent it (e.g. a --json view of StreamInfo) or do not offer at all.
// Honours the connection's --js-domain / --js-api-prefix and --timeout. The connection must
// outlive it.
class JetStreamApi {
public:
    explicit JetStreamApi(Connection& connection);

    // The full subject of an endpoint: "STREAM.INFO.ORDERS" -> "$JS.API.STREAM.INFO.ORDERS"
    // ("$JS.hub.API...." under --js-domain hub; "<prefix>...." under --js-api-prefix).
    const std::string& prefix() const { return m_prefix; }
    std::string subject(std::string_view endpoint) const;

    // Sends `body` (null for an empty request) to the endpoint and returns the reply parsed.
    // Throws UsageError for an endpoint that is not a valid subject; NatsError "<what>:
    // JetStream is not enabled ..." when nobody answers, a timeout or connection error as
    // NatsError; JetStreamApiError when the reply carries "error"; NatsError when the reply is
    // not a JSON object (or nests deeper than 64 levels).
    nlohmann::json
    request(std::string_view endpoint, const nlohmann::json& body, std::string_view what);
    // The same with the body as JSON text, sent as given (e.g. a --config file).
    nlohmann::json
    request_text(std::string_view endpoint, std::string_view body, std::string_view what);

private:
    Connection* m_connection;
    std::string m_prefix;
};

} // namespace natty::nats
