#include <natty/nats/jetstream.hpp>
#include <natty/nats/jetstream_api.hpp>
#include <natty/nats/request.hpp>
#include <natty/util/subject.hpp>

#include <nlohmann/json.hpp>

namespace natty::nats {
namespace {

// Deeper replies are refused: nothing the API sends nests past a handful of levels, and
// printing a hostile reply nested thousands deep would recurse as deep.
constexpr int k_max_depth = 64;
// The longest error description kept from a reply.
constexpr std::size_t k_max_description = 512;

// "$JS.API", "$JS.<domain>.API" or the given prefix, without a trailing dot.
std::string api_prefix(const ConnectSpec& spec) {
    if (!spec.jetstream_api_prefix.empty()) {
        std::string prefix = spec.jetstream_api_prefix;
        while (!prefix.empty() && prefix.back() == '.') {
            prefix.pop_back();
        }
        return prefix;
    }
    if (!spec.jetstream_domain.empty()) {
        return "$JS." + spec.jetstream_domain + ".API";
    }
    return "$JS.API";
}

ExitCode exit_code_for_api(int code) {
    switch (code) {
    case 400:
        return ExitCode::usage;
    case 403:
        return ExitCode::denied;
    case 404:
        return ExitCode::not_found;
    default:
        return ExitCode::failure;
    }
}

natsStatus status_for_api(int code) {
    switch (code) {
    case 403:
        return NATS_NOT_PERMITTED;
    case 404:
        return NATS_NOT_FOUND;
    default:
        return NATS_ERR;
    }
}

int integer_field(const nlohmann::json& object, const char* key) {
    const auto it = object.find(key);
    if (it == object.end() || !it->is_number_integer()) {
        return 0;
    }
    const auto value = it->get<std::int64_t>();
    return value >= 0 && value <= 1'000'000 ? static_cast<int>(value) : 0;
}

nlohmann::json parse_reply(std::string_view text, std::string_view subject, std::string_view what) {
    bool too_deep = false;
    auto reply = nlohmann::json::parse(
        text,
        [&too_deep](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
            if (depth > k_max_depth) {
                too_deep = true;
                return false;
            }
            return true;
        },
        false);
    if (too_deep || !reply.is_object()) {
        throw NatsError(NATS_ERR,
                        std::string(what) + ": the reply is not a JetStream API response ("
                            + (too_deep ? "nested too deep" : "not a JSON object") + ")",
                        "something other than JetStream answers on " + std::string(subject)
                            + ": check --js-domain and --js-api-prefix");
    }
    return reply;
}

// Throws what the reply's "error" object says, if it has one.
void throw_if_error(const nlohmann::json& reply, std::string_view what) {
    const auto it = reply.find("error");
    if (it == reply.end() || !it->is_object()) {
        return;
    }
    const int code = integer_field(*it, "code");
    const int err_code = integer_field(*it, "err_code");
    if (err_code == JSNotEnabledForAccountErr || err_code == JSNotEnabledErr) {
        clear_last_error();
        throw_jetstream_error(NATS_ERR, static_cast<jsErrCode>(err_code), what);
    }
    const auto description = it->find("description");
    std::string text = description != it->end() && description->is_string()
                           ? description->get<std::string>()
                           : std::string("error ") + std::to_string(code);
    if (text.size() > k_max_description) {
        text.resize(k_max_description);
        text += "...";
    }
    throw JetStreamApiError(code, err_code, text, what);
}

} // namespace

JetStreamApiError::JetStreamApiError(int code,
                                     int err_code,
                                     const std::string& description,
                                     std::string_view what)
    : NatsError(status_for_api(code),
                exit_code_for_api(code),
                std::string(what) + ": " + description
                    + (err_code != 0 ? " (JetStream error " + std::to_string(err_code) + ")"
                                     : std::string())),
      m_code(code), m_err_code(err_code), m_description(description) {}

JetStreamApi::JetStreamApi(Connection& connection)
    : m_connection(&connection), m_prefix(api_prefix(connection.spec())) {}

std::string JetStreamApi::subject(std::string_view endpoint) const {
    return m_prefix + "." + std::string(endpoint);
}

nlohmann::json JetStreamApi::request_text(std::string_view endpoint,
                                          std::string_view body,
                                          std::string_view what) {
    const std::string api_subject = subject(endpoint);
    if (const auto problem = publish_subject_problem(api_subject)) {
        throw UsageError(std::string(what) + ": invalid JetStream API subject \"" + api_subject
                             + "\": " + *problem,
                         "names in JetStream API subjects cannot contain spaces, '.', '*' or '>'");
    }
    const Message reply = [&] {
        try {
            return nats::request(*m_connection, api_subject, body, m_connection->spec().timeout);
        } catch (const NatsError& e) {
            if (e.no_responders()) {
                clear_last_error();
                throw_jetstream_error(NATS_NO_RESPONDERS, static_cast<jsErrCode>(0), what);
            }
            throw;
        }
    }();
    auto document = parse_reply(reply.data(), api_subject, what);
    throw_if_error(document, what);
    return document;
}

nlohmann::json JetStreamApi::request(std::string_view endpoint,
                                     const nlohmann::json& body,
                                     std::string_view what) {
    const std::string text =
        body.is_null() ? std::string()
                       : body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return request_text(endpoint, text, what);
}

} // namespace natty::nats
