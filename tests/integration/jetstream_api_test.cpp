// The nats layer's typed JetStream API request against real servers: replies parsed, the API's
// error JSON turned into JetStreamApiError with its exit code, no JetStream said plainly, and
// hostile replies (not JSON, nested too deep) refused.

#include "nats_server.hpp"
#include "temp_dir.hpp"

#include <natty/nats/async_subscription.hpp>
#include <natty/nats/connection.hpp>
#include <natty/nats/jetstream_api.hpp>
#include <natty/nats/publish.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>

using namespace natty;
using namespace natty::test;

namespace {

nats::Connection connect_to(const NatsServer& server, std::string api_prefix = {}) {
    nats::ConnectSpec spec;
    spec.servers = {server.url()};
    spec.timeout = std::chrono::seconds(2);
    spec.jetstream_api_prefix = std::move(api_prefix);
    return nats::Connection::connect(spec);
}

// Answers every request on `subject` with `reply`, for replies no real server sends.
nats::AsyncSubscription answer_with(nats::Connection& connection, const std::string& subject,
                                    std::string reply) {
    auto sub = nats::AsyncSubscription::subscribe(
        connection, subject, "",
        [&connection, reply](nats::Message request) {
            nats::publish(connection, std::string(request.reply()), "", reply, {});
        },
        [] {});
    connection.flush(std::chrono::seconds(2));
    return sub;
}

} // namespace

TEST_CASE("jetstream api: account info and stream info as the server sent them",
          "[jetstream][api]") {
    TempDir dir;
    const auto server = NatsServer::start({.jetstream = true}, dir.path());
    auto connection = connect_to(*server);
    nats::JetStreamApi api(connection);
    CHECK(api.subject("INFO") == "$JS.API.INFO");

    const auto info = api.request("INFO", nullptr, "read account info");
    CHECK(info.value("type", "") == "io.nats.jetstream.api.v1.account_info_response");
    CHECK(info.at("streams").get<int>() == 0);

    const nlohmann::json config = {{"name", "ORDERS"}, {"subjects", {"orders.>"}},
                                   {"storage", "memory"}};
    const auto created = api.request("STREAM.CREATE.ORDERS", config, "add stream");
    CHECK(created.at("config").at("name") == "ORDERS");
    const auto stream = api.request("STREAM.INFO.ORDERS", nullptr, "read stream");
    CHECK(stream.at("state").at("messages").get<int>() == 0);
    CHECK(stream.at("config").at("subjects") == nlohmann::json::array({"orders.>"}));
}

TEST_CASE("jetstream api: an error reply is a JetStreamApiError with the server's codes",
          "[jetstream][api]") {
    TempDir dir;
    const auto server = NatsServer::start({.jetstream = true}, dir.path());
    auto connection = connect_to(*server);
    nats::JetStreamApi api(connection);
    try {
        api.request("STREAM.INFO.MISSING", nullptr, "read stream \"MISSING\"");
        FAIL("no error for a missing stream");
    } catch (const nats::JetStreamApiError& e) {
        CHECK(e.api_code() == 404);
        CHECK(e.err_code() == 10059);
        CHECK(e.not_found());
        CHECK(to_int(e.code()) == 7);
        CHECK(std::string(e.what()) ==
              "read stream \"MISSING\": stream not found (JetStream error 10059)");
    }
    // A name with a space would be a second protocol word: refused before anything is sent.
    CHECK_THROWS_WITH(api.request("STREAM.INFO.A B", nullptr, "read stream"),
                      Catch::Contains("invalid JetStream API subject"));
}

TEST_CASE("jetstream api: without JetStream nobody answers, and it says so",
          "[jetstream][api]") {
    TempDir dir;
    const auto server = NatsServer::start({}, dir.path());
    auto connection = connect_to(*server);
    nats::JetStreamApi api(connection);
    CHECK_THROWS_WITH(api.request("INFO", nullptr, "read account info"),
                      Catch::Contains("read account info: JetStream is not enabled"));
}

TEST_CASE("jetstream api: replies that are not API responses are refused",
          "[jetstream][api]") {
    TempDir dir;
    const auto server = NatsServer::start({}, dir.path());
    auto connection = connect_to(*server, "fake.api.");
    nats::JetStreamApi api(connection);
    CHECK(api.subject("INFO") == "fake.api.INFO");

    const auto text = answer_with(connection, "fake.api.TEXT", "hello");
    CHECK_THROWS_WITH(api.request("TEXT", nullptr, "ask"),
                      Catch::Contains("ask: the reply is not a JetStream API response"));

    const auto deep = answer_with(connection, "fake.api.DEEP",
                                  std::string(100000, '[') + std::string(100000, ']'));
    CHECK_THROWS_WITH(api.request("DEEP", nullptr, "ask"), Catch::Contains("nested too deep"));

    // An error whose fields have the wrong types still ends as one clear error.
    const auto odd = answer_with(connection, "fake.api.ODD",
                                 R"({"error":{"code":"x","err_code":-5,"description":7}})");
    try {
        api.request("ODD", nullptr, "ask");
        FAIL("no error for an error reply");
    } catch (const nats::JetStreamApiError& e) {
        CHECK(e.err_code() == 0);
        CHECK(std::string(e.what()) == "ask: error 0");
        CHECK(to_int(e.code()) == 1);
    }
}
