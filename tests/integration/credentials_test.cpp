// Credentials and connection names with characters that are special in JSON reach nats-server
// intact: nats.c pastes them raw into its CONNECT JSON, so natty escapes them first.
#include "nats_server.hpp"
#include "sandbox.hpp"

#include <natty/util/printable.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <map>

using namespace natty::test;

namespace {

constexpr int k_denied = 5;

// A quote, a backslash, a tab, a \x01 and a non-ASCII letter: each breaks or changes a CONNECT
// JSON that nats.c 3.4 builds without escaping.
const std::vector<User> k_awkward_users = {
    {"q\"uote", "pa\"ss", {}, {}},
    {"back\\slash", "pa\\ss\\", {}, {}},
    {"tab\tuser", "pa\tss\x01", {}, {}},
    {"\xc3\xbc" "ser", "p\xc3\xa4ss\"w\\\x01rd\t\xc3\xbc", {}, {}},
};

// Runs `natty --no-context <args> context info --connect`, the cheapest command that connects.
RunResult connect_with(const Sandbox& sandbox, std::vector<std::string> args) {
    args.insert(args.begin(), "--no-context");
    args.insert(args.end(), {"context", "info", "--connect"});
    return sandbox.natty(args, RunOptions{.timeout = std::chrono::seconds(20)});
}

} // namespace

TEST_CASE("user names and passwords with quotes, backslashes, control characters and non-ASCII "
          "authenticate",
          "[auth][credentials]") {
    TempDir dir;
    auto server = NatsServer::start({.users = k_awkward_users}, dir.path());
    Sandbox sandbox;
    for (const User& user : k_awkward_users) {
        INFO("user " << nlohmann::json(user.user).dump());
        const auto result =
            connect_with(sandbox, {"-s", server->url(), "--user", user.user, "--password",
                                   user.password});
        INFO(result.err);
        CHECK(result.exit_code == 0);
    }
    // The same password with one character less is still refused: nothing was dropped.
    const auto wrong = connect_with(sandbox, {"-s", server->url(), "--user", "q\"uote",
                                              "--password", "pa\""});
    CHECK(wrong.exit_code == k_denied);
}

TEST_CASE("credentials with JSON-special characters in the server URL authenticate",
          "[auth][credentials]") {
    TempDir dir;
    auto server = NatsServer::start({.users = k_awkward_users}, dir.path());
    Sandbox sandbox;
    const std::string port = std::to_string(server->port());
    for (const User& user : k_awkward_users) {
        INFO("user " << nlohmann::json(user.user).dump());
        const auto result = connect_with(
            sandbox, {"-s", "nats://" + user.user + ":" + user.password + "@127.0.0.1:" + port});
        INFO(result.err);
        CHECK(result.exit_code == 0);
        // The URL shown is the one given, redacted (and printable), not the escaped form nats.c
        // was handed.
        CHECK(contains(result.out,
                       natty::printable("nats://" + user.user + ":***@127.0.0.1:" + port)));
    }
}

TEST_CASE("a token with JSON-special characters authenticates, as a flag and in the URL",
          "[auth][credentials]") {
    const std::string token = "t\"o\\k\te\x01n-\xc3\xbc";
    TempDir dir;
    auto server = NatsServer::start({.token = token}, dir.path());
    Sandbox sandbox;
    const auto flag = connect_with(sandbox, {"-s", server->url(), "--token", token});
    INFO(flag.err);
    CHECK(flag.exit_code == 0);
    const auto url = connect_with(
        sandbox, {"-s", "nats://" + token + "@127.0.0.1:" + std::to_string(server->port())});
    INFO(url.err);
    CHECK(url.exit_code == 0);
}

TEST_CASE("a connection name with JSON-special characters reaches the server unchanged",
          "[credentials]") {
    const std::string name = "n\"a\\me\t\x01-\xc3\xbc";
    TempDir dir;
    auto server = NatsServer::start({}, dir.path());
    Sandbox sandbox;
    const auto result = connect_with(sandbox, {"-s", server->url(), "--connection-name", name});
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    const auto connz = nlohmann::json::parse(server->monitor("/connz?state=all").body);
    std::vector<std::string> names;
    for (const auto& conn : connz.value("connections", nlohmann::json::array())) {
        names.push_back(conn.value("name", ""));
    }
    CHECK(std::find(names.begin(), names.end(), name) != names.end());
}

TEST_CASE("server check connection authenticates with JSON-special credentials and survives "
          "invalid UTF-8",
          "[auth][credentials][check]") {
    TempDir dir;
    auto server = NatsServer::start({.users = k_awkward_users}, dir.path());
    Sandbox sandbox;
    const User& user = k_awkward_users.back();
    const auto ok = sandbox.natty({"--no-context", "-s", server->url(), "--user", user.user,
                                   "--password", user.password, "server", "check",
                                   "connection"});
    INFO(ok.out << ok.err);
    CHECK(ok.exit_code == 0);
    CHECK(contains(ok.out, "OK"));
    // Its raw probe builds CONNECT with nlohmann-json, whose dump() throws on invalid UTF-8: the
    // bytes are replaced (nats-server's decoder would do the same), and the check reports the
    // refusal as a critical result rather than an internal error.
    const auto invalid = sandbox.natty({"--no-context", "-s", server->url(), "--user", user.user,
                                        "--password", "p\xff\xfe", "server", "check",
                                        "connection"});
    INFO(invalid.out << invalid.err);
    CHECK(invalid.exit_code == 2);
    CHECK(contains(invalid.out, "CRITICAL"));
    CHECK_FALSE(contains(invalid.out + invalid.err, "json.exception"));
}
