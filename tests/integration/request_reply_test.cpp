#include "nats_server.hpp"
#include "pki.hpp"
#include "process.hpp"
#include "sandbox.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <csignal>
#include <regex>
#include <sstream>

using namespace natty::test;
using namespace std::chrono_literals;

namespace {

// Starts `natty reply ARGS` and waits until it listens.
std::unique_ptr<Child>
start_reply(const Sandbox& sandbox, const NatsServer& server, std::vector<std::string> args) {
    args.insert(args.begin(), "reply");
    auto child = sandbox.spawn_natty(with_server(server, args));
    REQUIRE(child->wait_for_output("Listening on", 10s, true));
    return child;
}

} // namespace

TEST_CASE("request gets an echo reply with headers and the round-trip time", "[messaging]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto replier = start_reply(sandbox, *server, {"svc.echo", "--count", "2"});
    auto first =
        sandbox.natty(with_server(*server, {"request", "svc.echo", "hi {{Count}}", "-H", "X-Trace:abc"}));
    REQUIRE(first.exit_code == 0);
    CHECK(first.out == "hi 1\n");
    CHECK(std::regex_search(first.err, std::regex(R"(Received with rtt [0-9.]+(µs|ms|s))")));
    CHECK_THAT(first.err, Catch::Contains("X-Trace: abc"));
    CHECK_THAT(first.err, Catch::Contains("NATS-Reply-Counter: 1"));
    auto second = sandbox.natty(with_server(*server, {"request", "svc.echo", "json", "--json"}));
    REQUIRE(second.exit_code == 0);
    const auto docs = json_lines(second.out);
    REQUIRE(docs.size() == 1);
    CHECK(docs[0]["data"] == "json");
    CHECK(docs[0]["headers"]["NATS-Reply-Counter"] == nlohmann::json::array({"2"}));
    CHECK(docs[0]["rtt_ms"].get<double>() >= 0.0);
    auto done = replier->wait(10s);
    CHECK(done.exit_code == 0);
    CHECK_THAT(done.err, Catch::Contains("Answered 2 requests"));
    CHECK_THAT(done.out, Catch::Contains("hi 1"));
}

TEST_CASE("request --json reports the subject requested, not the inbox the reply came to",
          "[messaging]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto replier = start_reply(sandbox, *server, {"svc.>", "--count", "2"});
    auto result = sandbox.natty(
        with_server(*server, {"request", "svc.n{{Count}}", "x", "--count", "2", "--json"}));
    REQUIRE(result.exit_code == 0);
    const auto docs = json_lines(result.out);
    REQUIRE(docs.size() == 2);
    CHECK(docs[0]["subject"] == "svc.n1");
    CHECK(docs[0]["request"] == 1);
    CHECK(docs[1]["subject"] == "svc.n2");
    CHECK(docs[1]["request"] == 2);
    CHECK(replier->wait(10s).exit_code == 0);
}

TEST_CASE("reply --command gets subject tokens and the request in its environment", "[messaging]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto replier = start_reply(
        sandbox,
        *server,
        {"svc.>",
         "--count",
         "2",
         "--command",
         "sh -c 'echo \"{{1}} $NATS_REQUEST_SUBJECT $NATS_REQUEST_BODY\"; exit {{2}}'"});
    auto ok = sandbox.natty(with_server(*server, {"request", "svc.time.0", "ping", "--raw"}));
    REQUIRE(ok.exit_code == 0);
    CHECK(ok.out == "time svc.time.0 ping\n");
    CHECK(ok.err.empty());
    auto failing = sandbox.natty(with_server(*server, {"request", "svc.fail.3", "x"}));
    CHECK(failing.exit_code == 1);
    CHECK_THAT(failing.err,
               Catch::Contains("service error from \"svc.fail.3\": command exited "
                               "with status 3"));
    CHECK(failing.out == "fail svc.fail.3 x\n");
    auto done = replier->wait(10s);
    CHECK(done.exit_code == 0);
    CHECK_THAT(done.err, Catch::Contains("exited with status 3"));
}

TEST_CASE("request collects replies from several responders", "[messaging]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto a = start_reply(sandbox, *server, {"multi", "from-a", "--queue", "a"});
    auto b = start_reply(sandbox, *server, {"multi", "from-b", "--queue", "b"});
    auto until_timeout = sandbox.natty(
        with_server(*server, {"request", "multi", "x", "--replies", "0", "--timeout", "1s", "--json"}));
    REQUIRE(until_timeout.exit_code == 0);
    auto docs = json_lines(until_timeout.out);
    REQUIRE(docs.size() == 2);
    std::vector<std::string> bodies{docs[0]["data"], docs[1]["data"]};
    std::sort(bodies.begin(), bodies.end());
    CHECK(bodies == std::vector<std::string>{"from-a", "from-b"});
    auto two = sandbox.natty(
        with_server(*server, {"request", "multi", "x", "--replies", "2", "--raw", "--count", "2"}));
    REQUIRE(two.exit_code == 0);
    CHECK(std::count(two.out.begin(), two.out.end(), '\n') == 4);
    a->signal(SIGINT);
    b->signal(SIGTERM);
    auto ra = a->wait(10s);
    auto rb = b->wait(10s);
    CHECK(ra.exit_code == 0);
    CHECK(rb.exit_code == 0);
    CHECK_THAT(ra.err, Catch::Contains("Draining"));
}

TEST_CASE("no responders and timeouts are failures with their own exit codes",
          "[messaging][errors]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto none = sandbox.natty(with_server(*server, {"request", "nobody.home", "x"}));
    CHECK(none.exit_code == 7);
    CHECK_THAT(none.err, Catch::Contains("no responders"));
    auto silent = sandbox.spawn_natty(with_server(*server, {"sub", "silent"}));
    REQUIRE(silent->wait_for_output("Subscribing", 10s, true));
    auto timeout = sandbox.natty(with_server(*server, {"request", "silent", "x", "--timeout", "500ms"}));
    CHECK(timeout.exit_code == 8);
    CHECK_THAT(timeout.err, Catch::Contains("no reply on \"silent\" within 500ms"));
    silent->signal(SIGTERM);
    CHECK(silent->wait(10s).exit_code == 143); // SIGTERM
}

TEST_CASE("a request to a subject without publish permission is denied, not a timeout",
          "[messaging][errors]") {
    TempDir dir;
    Sandbox sandbox;
    ServerOptions options;
    options.users.push_back(User{"limited", "pw", {"ok.>"}, {"_INBOX.>"}});
    auto server = NatsServer::start(options, dir.path());
    const std::string url = "nats://limited:pw@127.0.0.1:" + std::to_string(server->port());
    auto result = sandbox.natty({"-s", url, "request", "secret.svc", "x", "--timeout", "2s"});
    CHECK(result.exit_code == 5);
    CHECK_THAT(result.err, Catch::Contains("Permissions Violation"));
}

TEST_CASE("reply answers a reply too large for max_payload with a service error and keeps serving",
          "[messaging][errors]") {
    TempDir dir;
    Sandbox sandbox;
    ServerOptions options;
    options.max_payload = 1024;
    auto server = NatsServer::start(options, dir.path());
    auto replier = start_reply(sandbox, *server, {"svc.size.*", "--command", "head -c {{2}} /dev/zero"});
    auto too_big = sandbox.natty(with_server(*server, {"request", "svc.size.2000", "x", "--timeout", "2s"}));
    CHECK(too_big.exit_code == 1);
    CHECK_THAT(too_big.err, Catch::Contains("service error from \"svc.size.2000\""));
    CHECK_THAT(too_big.err, Catch::Contains("max_payload of 1,024 bytes"));
    auto small = sandbox.natty(with_server(*server, {"request", "svc.size.10", "x", "--raw"}));
    CHECK(small.exit_code == 0);
    CHECK(small.out == std::string(10, '\0') + "\n");
    replier->signal(SIGINT);
    auto done = replier->wait(10s);
    CHECK(done.exit_code == 0);
    CHECK_THAT(done.err, Catch::Contains("cannot send the reply"));
    CHECK_THAT(done.err, Catch::Contains("Answered 2 requests"));
}

TEST_CASE("reply answers the request in hand before a closed stdout ends it", "[messaging]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    const std::string cmd = "'" + natty_bin() + "' -s " + server->url() + " reply svc | head -1";
    RunOptions opts;
    opts.env = sandbox.env();
    auto pipeline = Child::spawn({"/bin/bash", "-c", "set -o pipefail; " + cmd}, opts);
    REQUIRE(pipeline->wait_for_output("Listening on", 10s, true));
    auto first = sandbox.natty(with_server(*server, {"request", "svc", "one", "--raw"}));
    CHECK(first.exit_code == 0);
    REQUIRE(pipeline->wait_for_output("one", 10s));
    // head has exited: printing this request fails, but the requester still gets its answer.
    auto second = sandbox.natty(with_server(*server, {"request", "svc", "two", "--raw", "--timeout", "2s"}));
    CHECK(second.exit_code == 0);
    CHECK(second.out == "two\n");
    auto result = pipeline->wait(10s);
    CHECK_FALSE(result.timed_out);
    CHECK(result.exit_code == 0);
    CHECK(result.out == "one\n");
    CHECK_THAT(result.err, !Catch::Contains("error"));
}

TEST_CASE("reply renders its body and headers from the request, its subject and the count",
          "[messaging]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto replier = start_reply(sandbox,
                               *server,
                               {"svc.t.*",
                                "hi {{Request}} tok={{2}} n={{Count}}",
                                "-H",
                                "X-N:{{Count}}",
                                "--sleep",
                                "20ms",
                                "--count",
                                "2"});
    for (const std::string n : {"1", "2"}) {
        auto result = sandbox.natty(
            with_server(*server, {"request", "svc.t.z" + n, "abc", "--json"}));
        REQUIRE(result.exit_code == 0);
        const auto docs = json_lines(result.out);
        REQUIRE(docs.size() == 1);
        CHECK(docs[0]["data"] == "hi abc tok=z" + n + " n=" + n);
        CHECK(docs[0]["headers"]["X-N"] == nlohmann::json::array({n}));
    }
    auto done = replier->wait(10s);
    CHECK(done.exit_code == 0);
    CHECK_THAT(done.err, Catch::Contains("Answered 2 requests"));
}

TEST_CASE("a request that loses its server says disconnected, without promising a reconnect",
          "[messaging]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    // A subscriber that never answers keeps the request waiting instead of "no responders".
    auto silent = sandbox.spawn_natty(with_server(*server, {"sub", "svc.silent"}));
    REQUIRE(silent->wait_for_output("Subscribing on", 10s, true));
    auto request =
        sandbox.spawn_natty(with_server(*server, {"request", "svc.silent", "--timeout", "20s"}));
    REQUIRE(silent->wait_for_output("Received on \"svc.silent\"", 10s));
    server->stop();
    const auto result = request->wait(15s);
    CHECK_FALSE(result.timed_out);
    CHECK(result.exit_code != 0);
    CHECK_THAT(result.err, Catch::Contains("natty: disconnected from"));
    CHECK_THAT(result.err, !Catch::Contains("reconnecting"));
}

TEST_CASE("reply --command: a missing program is a service error, and SIGTERM ends a running one",
          "[messaging][errors]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto replier = start_reply(sandbox, *server, {"svc.run.*", "--command", "{{2}} 30"});
    auto missing = sandbox.natty(
        with_server(*server, {"request", "svc.run.natty-no-such-program", "x", "--timeout", "5s"}));
    CHECK(missing.exit_code == 1);
    CHECK_THAT(missing.err, Catch::Contains("command exited with status 127"));
    CHECK_THAT(missing.out, Catch::Contains("cannot run natty-no-such-program"));
    auto sleeping = sandbox.spawn_natty(
        with_server(*server, {"request", "svc.run.sleep", "x", "--timeout", "20s"}));
    REQUIRE(replier->wait_for_output("[#2] Received", 10s, true));
    replier->signal(SIGTERM);
    auto done = replier->wait(10s);
    CHECK(done.exit_code == 0);
    CHECK_THAT(done.err, Catch::Contains("exited with status 143"));
    CHECK_THAT(done.err,
               Catch::Contains("cannot run natty-no-such-program: No such file or directory; "
                               "check --command and PATH"));
    auto answered = sleeping->wait(10s);
    CHECK(answered.exit_code == 1);
    CHECK_THAT(answered.err, Catch::Contains("command exited with status 143"));
}

TEST_CASE("a TLS connection with --tlsca leaves the environment of reply --command as it was",
          "[messaging][tls]") {
    // natty points OpenSSL's SSL_CERT_FILE at the CA while nats.c builds its TLS context (so the
    // system bundle is not parsed); the user's own value, or its absence, must be back after.
    TempDir dir;
    Pki pki = Pki::create(dir.path() / "pki");
    auto server = NatsServer::start({.tls = TlsConfig{pki.server_cert, pki.server_key, std::nullopt}},
                                    dir.path() / "s");
    const std::string url = server->url_for_host("localhost");
    const std::vector<std::string> tls = {"-s", url, "--tlsca", pki.ca_cert.string()};
    Sandbox sandbox;
    const auto run = [&](const std::map<std::string, std::string>& env) {
        std::vector<std::string> args = tls;
        for (const std::string arg : {"reply", "svc.env", "--count", "1", "--command",
                                      "printenv SSL_CERT_FILE"}) {
            args.push_back(arg);
        }
        auto replier = sandbox.spawn_natty(args, RunOptions{.env = env});
        REQUIRE(replier->wait_for_output("Listening on", 10s, true));
        std::vector<std::string> request = tls;
        for (const std::string arg : {"request", "svc.env", "x", "--raw", "--timeout", "5s"}) {
            request.push_back(arg);
        }
        auto answer = sandbox.natty(request);
        CHECK(replier->wait(10s).exit_code == 0);
        return answer;
    };
    const auto with_value = run({{"SSL_CERT_FILE", "/users/own/bundle.pem"}});
    CHECK(with_value.exit_code == 0);
    CHECK(with_value.out == "/users/own/bundle.pem\n");
    const auto without = run({});
    CHECK(without.exit_code == 1); // printenv: not set
    CHECK_THAT(without.err, Catch::Contains("command exited with status 1"));
}

TEST_CASE("reply --command: a request fills its word and never adds words, and shell syntax is "
          "refused before connecting",
          "[messaging]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    // Split before rendering: spaces, quotes and $ in the request stay one argument.
    auto words = start_reply(
        sandbox, *server, {"svc.words", "--count", "1", "--command", "printf [%s] {{Request}}"});
    auto one = sandbox.natty(
        with_server(*server, {"request", "svc.words", "a b 'c' \"d\" -e $HOME", "--raw"}));
    CHECK(one.exit_code == 0);
    CHECK(one.out == "[a b 'c' \"d\" -e $HOME]\n");
    CHECK(words->wait(10s).exit_code == 0);

    // The man page's example: pipes and variables through an explicit shell.
    auto upper = start_reply(
        sandbox,
        *server,
        {"svc.upper", "--count", "1", "--command",
         R"(sh -c "printf %s \"\$NATS_REQUEST_BODY\" | tr a-z A-Z")"});
    auto shouted = sandbox.natty(with_server(*server, {"request", "svc.upper", "hi there", "--raw"}));
    CHECK(shouted.out == "HI THERE\n");
    CHECK(upper->wait(10s).exit_code == 0);

    const auto connections = [&] {
        return nlohmann::json::parse(server->monitor("/varz").body)["total_connections"].get<int>();
    };
    const int before = connections();
    auto piped = sandbox.natty(with_server(*server, {"reply", "svc.x", "--command", "echo a | wc"}));
    CHECK(piped.exit_code == 2);
    CHECK_THAT(piped.err, Catch::Contains("an unquoted | is shell syntax"));
    auto variable = sandbox.natty(with_server(*server, {"reply", "svc.x", "--command", "echo $HOME"}));
    CHECK(variable.exit_code == 2);
    CHECK_THAT(variable.err, Catch::Contains("$ would be expanded by a shell"));
    CHECK(connections() == before);
}
