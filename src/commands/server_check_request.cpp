// `server check request`: one request to a real service, its reply checked against a pattern and
// its response time against thresholds.

#include "server_check.hpp"

#include <natty/nats/error.hpp>
#include <natty/nats/request.hpp>
#include <natty/util/subject.hpp>

#include <regex>

namespace natty {
namespace {

using output::CheckResult;

// Records UNKNOWN for a missing or invalid --subject; returns the compiled --match-payload, if
// one was given and it compiles (else UNKNOWN).
std::optional<std::regex> validate_request_flags(const RequestCheckOptions& options,
                                                 CheckResult& result) {
    if (options.subject.empty()) {
        result.unknown("--subject is required");
    } else if (const auto problem = publish_subject_problem(options.subject)) {
        result.unknown("invalid --subject \"" + options.subject + "\": " + *problem);
    }
    std::optional<std::regex> pattern;
    if (!options.match_payload.empty()) {
        try {
            pattern.emplace(options.match_payload, std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
            result.unknown("invalid --match-payload \"" + options.match_payload
                           + "\": " + e.what());
        }
    }
    return pattern;
}

// The critical message of a request that got no reply.
std::string request_failure(const nats::NatsError& e,
                            const std::string& subject,
                            nats::Connection& conn,
                            Duration timeout) {
    if (e.no_responders()) {
        return "no responders on " + subject;
    }
    if (e.timed_out()) {
        std::string text = "no response on " + subject + " within " + format_go_duration(timeout);
        if (auto err = conn.take_async_error()) {
            text += ": " + err->text;
        }
        return text;
    }
    return e.what(); // "request to <subject> failed: <reason>"
}

void check_request(const RequestCheckOptions& options, Runtime& runtime, CheckResult& result) {
    const auto warn =
        server_check::duration_threshold(options.response_warn, "--response-warn", result);
    const auto crit =
        server_check::duration_threshold(options.response_critical, "--response-critical", result);
    const std::optional<std::regex> pattern = validate_request_flags(options, result);
    auto conn = server_check::connect_for_check(runtime, result);
    if (!conn) {
        return;
    }
    if (options.payload.size() > static_cast<std::size_t>(conn->max_payload())) {
        result.unknown("--payload is larger than the server's max_payload of "
                       + std::to_string(conn->max_payload()) + " bytes");
        return;
    }
    const auto start = server_check::Clock::now();
    std::optional<nats::Message> reply;
    try {
        reply.emplace(nats::request(*conn, options.subject, options.payload, conn->spec().timeout));
    } catch (const nats::NatsError& e) {
        result.critical(request_failure(e, options.subject, *conn, conn->spec().timeout));
        return;
    }
    const Duration elapsed = server_check::Clock::now() - start;
    const std::string_view body = reply->data();
    if (pattern && !std::regex_search(body.begin(), body.end(), *pattern)) {
        result.critical("response does not match regular expression " + options.match_payload);
    } else {
        server_check::classify_time(result, elapsed, warn, crit, "Valid response", [](double t) {
            return "response time exceeded "
                   + format_go_duration(
                       std::chrono::duration_cast<Duration>(std::chrono::duration<double>(t)));
        });
    }
    result.perf(
        {"time", server_check::seconds_of(elapsed), "s", warn, crit, "How long the request took"});
}

} // namespace

void run_check_request(const RequestCheckOptions& options, Runtime& runtime) {
    server_check::run_check({"Request", "request"},
                            options.output,
                            runtime,
                            [&](CheckResult& result) { check_request(options, runtime, result); });
}

} // namespace natty
