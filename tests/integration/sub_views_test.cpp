// sub's views and sources: --dump, headers/subjects-only views, --match-replies, --inbox,
// and JetStream --stream with its start positions.

#include "nats_server.hpp"
#include "process.hpp"
#include "sandbox.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

using namespace natty::test;
using namespace std::chrono_literals;

TEST_CASE("sub --dump DIR writes private files and leaves an existing directory's mode alone",
          "[messaging]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    // A relative path, created with its parents.
    RunOptions in_dir;
    in_dir.cwd = dir.path();
    auto fresh = sandbox.spawn_natty(
        with_server(*server, {"sub", "d.>", "--dump", "out/msgs", "--count", "2"}), in_dir);
    REQUIRE(fresh->wait_for_output("Subscribing", 10s, true));
    REQUIRE(sandbox.natty(with_server(*server, {"pub", "d.a", "one", "-H", "K:v"})).exit_code == 0);
    REQUIRE(sandbox.natty(with_server(*server, {"pub", "d.b", "two"})).exit_code == 0);
    auto fresh_result = fresh->wait(10s);
    INFO(fresh_result.err);
    REQUIRE(fresh_result.exit_code == 0);
    const auto msgs = dir.path() / "out" / "msgs";
    struct stat st {};
    REQUIRE(::stat(msgs.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0700);
    REQUIRE(::stat((msgs / "1.json").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    std::ifstream first(msgs / "1.json");
    const auto doc = nlohmann::json::parse(first);
    CHECK(doc["subject"] == "d.a");
    CHECK(doc["data"] == "one");
    CHECK(doc["headers"]["K"] == nlohmann::json::array({"v"}));
    CHECK(std::filesystem::exists(msgs / "2.json"));

    // An existing shared directory (like /tmp) keeps its mode.
    const auto shared = dir.path() / "shared";
    std::filesystem::create_directory(shared);
    REQUIRE(::chmod(shared.c_str(), 01777) == 0);
    auto existing = sandbox.spawn_natty(
        with_server(*server, {"sub", "d.>", "--dump", shared.string(), "--count", "1"}));
    REQUIRE(existing->wait_for_output("Subscribing", 10s, true));
    REQUIRE(sandbox.natty(with_server(*server, {"pub", "d.c", "three"})).exit_code == 0);
    REQUIRE(existing->wait(10s).exit_code == 0);
    REQUIRE(::stat(shared.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 01777);
    CHECK(std::filesystem::exists(shared / "1.json"));

    // A file where the directory should be is a file error (exit 1, as every file error is)
    // before connecting.
    std::ofstream(dir.path() / "plain-file") << "x";
    auto not_dir = sandbox.natty(
        {"-s", "nats://127.0.0.1:1", "sub", "x", "--dump", (dir.path() / "plain-file").string()});
    CHECK(not_dir.exit_code == 1);
    CHECK_THAT(not_dir.err, Catch::Contains("is not a directory"));
}

TEST_CASE("sub views: headers only, subjects only, timestamps, ignored subjects, dump to stdout",
          "[messaging]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto publish_three = [&] {
        REQUIRE(sandbox.natty(with_server(*server, {"pub", "v.skip.me", "hidden"})).exit_code == 0);
        REQUIRE(sandbox.natty(with_server(*server, {"pub", "v.a", "body", "-H", "B:2", "-H", "A:1"}))
                    .exit_code
                == 0);
        REQUIRE(sandbox.natty(with_server(*server, {"pub", "v.b", ""})).exit_code == 0);
    };
    const std::vector<std::string> common{"v.>", "-I", "v.skip.*", "--count", "2"};
    auto run_view = [&](std::vector<std::string> flags) {
        std::vector<std::string> args = common;
        args.insert(args.end(), flags.begin(), flags.end());
        auto sub = start_sub(sandbox, *server, args);
        publish_three();
        auto result = sub->wait(10s);
        INFO(result.err);
        REQUIRE(result.exit_code == 0);
        return result.out;
    };
    CHECK(run_view({"--headers-only"})
          == "[#1] Received on \"v.a\"\nA: 1\nB: 2\n\n[#2] Received on \"v.b\"\n\n");
    CHECK(run_view({"--subjects-only"}) == "[#1] Received on \"v.a\"\n[#2] Received on \"v.b\"\n");
    const auto stamped = run_view({"-t", "--subjects-only"});
    CHECK(std::regex_match(stamped,
                           std::regex(R"(\[#1\] @ [A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d\.\d{6} )"
                                      R"(Received on "v\.a"\n\[#2\] @ .* Received on "v\.b"\n)")));
    const auto delta = run_view({"-d", "--subjects-only"});
    CHECK(std::regex_match(
        delta,
        std::regex(R"(\[#1\] @ [0-9.]+(ns|µs|ms|s) Received on "v\.a"\n)"
                   R"(\[#2\] @ [0-9.]+(ns|µs|ms|s) Received on "v\.b"\n)")));
    const auto dumped = run_view({"--dump", "-"});
    const auto nul = dumped.find('\0');
    REQUIRE(nul != std::string::npos);
    CHECK(dumped.back() == '\0');
    CHECK(nlohmann::json::parse(dumped.substr(0, nul))["subject"] == "v.a");
    CHECK(nlohmann::json::parse(dumped.substr(nul + 1, dumped.size() - nul - 2))["data"] == "");
}

TEST_CASE("sub --match-replies pairs requests with their replies and --inbox listens on a new inbox",
          "[messaging]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto replier = sandbox.spawn_natty(with_server(*server, {"reply", "svc", "pong {{Request}}"}));
    REQUIRE(replier->wait_for_output("Listening on", 10s, true));
    auto sub = start_sub(sandbox, *server, {"svc", "--match-replies", "--count", "4"});
    REQUIRE(sandbox.natty(with_server(*server, {"request", "svc", "a"})).exit_code == 0);
    REQUIRE(sandbox.natty(with_server(*server, {"request", "svc", "b"})).exit_code == 0);
    auto result = sub->wait(10s);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(std::regex_match(
        result.out,
        std::regex(R"re(\[#1\] Received on "svc" with reply "(_INBOX\.[^"]+)"\na\n\n)re"
                   R"re(\[#1\] Matched reply on "\1"\npong a\n\n)re"
                   R"re(\[#2\] Received on "svc" with reply "(_INBOX\.[^"]+)"\nb\n\n)re"
                   R"re(\[#2\] Matched reply on "\2"\npong b\n\n)re")));
    replier->signal(SIGINT);
    CHECK(replier->wait(10s).exit_code == 0);

    auto inbox = sandbox.spawn_natty(with_server(*server, {"sub", "-i", "--count", "1", "--raw"}));
    REQUIRE(inbox->wait_for_output("Subscribing on _INBOX.", 10s, true));
    std::smatch m;
    const std::string err = inbox->err();
    REQUIRE(std::regex_search(err, m, std::regex(R"(Subscribing on (_INBOX\.[A-Za-z0-9]+))")));
    REQUIRE(sandbox.natty(with_server(*server, {"pub", m[1].str(), "to the inbox"})).exit_code == 0);
    auto inbox_result = inbox->wait(10s);
    CHECK(inbox_result.exit_code == 0);
    CHECK(inbox_result.out == "to the inbox\n");
}

namespace {

// Stream EVENTS (subjects ev.>, memory) holding old1..old3 at sequences 1-3.
void add_events_stream(const Sandbox& sandbox, const NatsServer& server) {
    REQUIRE(sandbox
                .natty(with_server(server,
                                   {"request",
                                    "$JS.API.STREAM.CREATE.EVENTS",
                                    R"({"name":"EVENTS","subjects":["ev.>"],"storage":"memory"})",
                                    "--raw"}))
                .exit_code
            == 0);
    REQUIRE(sandbox.natty(with_server(server, {"pub", "-J", "ev.old", "old{{Count}}", "--count", "3"}))
                .exit_code
            == 0);
}

// The stream sequences of sub --stream --json lines, checking each line's stream fields.
std::vector<long long> stream_seqs(const std::string& out) {
    std::vector<long long> found;
    for (const auto& doc : json_lines(out)) {
        CHECK(doc["stream"] == "EVENTS");
        CHECK(std::regex_match(doc["stream_time"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z)")));
        found.push_back(doc["stream_seq"].get<long long>());
    }
    return found;
}

} // namespace

TEST_CASE("sub --stream --start-sequence reads from there, and --dump names files by sequence",
          "[messaging][jetstream]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({.jetstream = true}, dir.path());
    add_events_stream(sandbox, *server);
    auto from2 = sandbox.natty(with_server(
        *server, {"sub", "--stream", "EVENTS", "--start-sequence", "2", "--count", "2", "--json"}));
    REQUIRE(from2.exit_code == 0);
    CHECK(stream_seqs(from2.out) == std::vector<long long>{2, 3});

    // --dump names a JetStream message by its stream sequence, as the Go CLI does.
    const auto dump_dir = dir.path() / "dump";
    auto dumped = sandbox.natty(with_server(*server,
                                            {"sub",
                                             "--stream",
                                             "EVENTS",
                                             "--start-sequence",
                                             "2",
                                             "--count",
                                             "2",
                                             "--dump",
                                             dump_dir.string()}));
    REQUIRE(dumped.exit_code == 0);
    std::vector<std::string> dump_names;
    for (const auto& entry : std::filesystem::directory_iterator(dump_dir)) {
        dump_names.push_back(entry.path().filename().string());
    }
    std::sort(dump_names.begin(), dump_names.end());
    CHECK(dump_names == std::vector<std::string>{"2.json", "3.json"});
    std::ifstream third(dump_dir / "3.json");
    CHECK(nlohmann::json::parse(third)["data"] == "old3");
}

TEST_CASE("sub --stream reads from --new and --since, and missing streams exit 7",
          "[messaging][jetstream]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({.jetstream = true}, dir.path());
    add_events_stream(sandbox, *server);
    // --new skips what is stored; only a message published afterwards arrives.
    auto fresh = start_sub(sandbox, *server, {"--stream", "EVENTS", "--new", "--count", "1", "--json"});
    REQUIRE(sandbox.natty(with_server(*server, {"pub", "-J", "ev.new", "new"})).exit_code == 0);
    auto fresh_result = fresh->wait(10s);
    REQUIRE(fresh_result.exit_code == 0);
    CHECK(stream_seqs(fresh_result.out) == std::vector<long long>{4});

    // --since 1h covers all four; --since 1s, 1.5 s after the last publish, covers none.
    auto hour = sandbox.natty(with_server(
        *server, {"sub", "--stream", "EVENTS", "--since", "1h", "--count", "4", "--json"}));
    REQUIRE(hour.exit_code == 0);
    CHECK(stream_seqs(hour.out) == std::vector<long long>{1, 2, 3, 4});
    std::this_thread::sleep_for(1500ms);
    auto recent = sandbox.natty(with_server(
        *server, {"sub", "--stream", "EVENTS", "--since", "1s", "--wait", "500ms", "--json"}));
    REQUIRE(recent.exit_code == 0);
    CHECK(recent.out.empty());

    auto human = sandbox.natty(with_server(
        *server, {"sub", "--stream", "EVENTS", "ev.new", "--all", "--count", "1"}));
    REQUIRE(human.exit_code == 0);
    CHECK(std::regex_search(
        human.out,
        std::regex(R"(^\[#1\] Received JetStream message: stream: EVENTS seq: 4 / subject: ev\.new )"
                   R"(/ time: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z\nnew\n)")));

    for (const auto& args : std::vector<std::vector<std::string>>{
             {"sub", "--stream", "NOPE", "--all"}, {"sub", "--stream", "NOPE", "ev.x", "--all"}}) {
        auto missing = sandbox.natty(with_server(*server, args));
        CHECK(missing.exit_code == 7);
        CHECK_THAT(missing.err, Catch::Contains("stream \"NOPE\" not found"));
    }
}
