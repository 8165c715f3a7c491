#include "nats_server.hpp"
#include "process.hpp"
#include "sandbox.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <tuple>
#include <vector>

using namespace natty::test;
using nlohmann::json;

namespace {

// One JetStream server plus a way to run `natty` against it with a private home.
struct KvFixture {
    explicit KvFixture(ServerOptions opts = jetstream_options())
        : server(NatsServer::start(std::move(opts), dir.path() / "server")) {}

    static ServerOptions jetstream_options() {
        ServerOptions opts;
        opts.jetstream = true;
        return opts;
    }

    RunOptions options(std::string stdin_data = {}) const {
        RunOptions o;
        o.env = {{"HOME", dir.path().string()}, {"XDG_CONFIG_HOME", dir.path().string()}};
        o.stdin_data = std::move(stdin_data);
        return o;
    }

    RunResult natty(const std::vector<std::string>& args, std::string stdin_data = {}) const {
        std::vector<std::string> argv = {natty_bin(), "--no-context", "-s", server->url()};
        argv.insert(argv.end(), args.begin(), args.end());
        return run(argv, options(std::move(stdin_data)));
    }

    // Runs and requires success; returns stdout.
    std::string ok(const std::vector<std::string>& args, std::string stdin_data = {}) const {
        const RunResult r = natty(args, std::move(stdin_data));
        INFO("stderr: " << r.err);
        REQUIRE(r.exit_code == 0);
        return r.out;
    }

    TempDir dir;
    std::unique_ptr<NatsServer> server;
};

} // namespace

TEST_CASE("kv add, ls, info and rm manage buckets") {
    KvFixture f;
    const json added = json::parse(f.ok({"kv",
                                         "add",
                                         "GAME",
                                         "--history",
                                         "5",
                                         "--ttl",
                                         "1h",
                                         "--storage",
                                         "memory",
                                         "--max-value-size",
                                         "1KB",
                                         "--max-bucket-size",
                                         "1MiB",
                                         "--description",
                                         "match state",
                                         "--json"}));
    CHECK(added["bucket"] == "GAME");
    CHECK(added["stream"] == "KV_GAME");
    CHECK(added["history"] == 5);
    CHECK(added["storage"] == "memory");
    CHECK(added["max_value_size"] == 1024);
    CHECK(added["max_bucket_size"] == 1048576);
    CHECK(added["ttl"] == "1h0m0s");
    CHECK(added["description"] == "match state");

    const std::string text = f.ok({"kv", "add", "LOBBY"});
    CHECK_THAT(text, Catch::Contains("Information for Key-Value Store Bucket LOBBY created"));
    CHECK_THAT(text, Catch::Matches("(.|\n)*History Kept: 1\n(.|\n)*"));
    f.ok({"kv", "put", "LOBBY", "p1", "waiting"});

    const std::string table = f.ok({"kv", "ls"});
    CHECK_THAT(table,
               Catch::Matches("Bucket +Description +Values +Size +Last Update\n"
                              "GAME +match state +0 +0 B +never\n"
                              "LOBBY +1 +[0-9]+ B +[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}\n"));
    CHECK(f.ok({"kv", "ls", "--names"}) == "GAME\nLOBBY\n");
    const json list = json::parse(f.ok({"kv", "ls", "--json"}));
    REQUIRE(list.size() == 2);
    CHECK(list[1]["bucket"] == "LOBBY");
    CHECK(list[1]["values"] == 1);

    const json info = json::parse(f.ok({"kv", "status", "LOBBY", "--json"}));
    CHECK(info["values"] == 1);
    CHECK(info["last_revision"] == 1);
    CHECK(info["storage"] == "file");
    CHECK_THAT(f.ok({"kv", "info", "GAME"}),
               Catch::Contains("Maximum Value Size: 1.0 KiB")
                   && Catch::Contains("Description: match state")
                   && Catch::Contains("Maximum Age: 1h0m0s"));

    // Without a terminal rm refuses unless -f, and the bucket stays.
    const RunResult refused = f.natty({"kv", "rm", "LOBBY"});
    CHECK(refused.exit_code == 2);
    CHECK_THAT(refused.err,
               Catch::Contains("refusing to delete bucket \"LOBBY\"")
                   && Catch::Contains("hint: add -f"));
    CHECK(f.ok({"kv", "ls", "--names"}) == "GAME\nLOBBY\n");
    f.ok({"kv", "rm", "LOBBY", "-f"});
    f.ok({"kv", "rm", "GAME", "-f"});
    CHECK(f.ok({"kv", "ls"}) == "No Key-Value buckets found\n");
    CHECK(f.ok({"kv", "ls", "--json"}) == "[]\n");
}

TEST_CASE("kv put prints the revision and get shows text, binary and empty values") {
    KvFixture f;
    f.ok({"kv", "add", "B", "--history", "10"});
    CHECK(f.ok({"kv", "put", "B", "player.1", "ready"}) == "1\n");
    CHECK(f.ok({"kv", "put", "B", "player.1"}, "set from stdin\n") == "2\n");
    const std::string binary("\x00\x01\xff\n", 4);
    CHECK(f.ok({"kv", "put", "B", "blob"}, binary) == "3\n");
    CHECK(f.ok({"kv", "put", "B", "empty", ""}) == "4\n");
    const json put = json::parse(f.ok({"kv", "put", "B", "x", "y", "--json"}));
    CHECK(put == json({{"bucket", "B"}, {"key", "x"}, {"revision", 5}}));

    CHECK_THAT(f.ok({"kv", "get", "B", "player.1"}),
               Catch::Matches("B > player.1 revision: 2 created @ [0-9]{4}-[0-9]{2}-[0-9]{2} "
                              "[0-9:]{8}\n\nset from stdin\n"));
    CHECK(f.ok({"kv", "get", "B", "player.1", "--revision", "1", "--raw"}) == "ready");
    CHECK(f.ok({"kv", "get", "B", "blob", "--raw"}) == binary);
    const std::string shown = f.ok({"kv", "get", "B", "blob"});
    CHECK_THAT(shown,
               Catch::Contains("(binary value, 4 bytes, shown as base64")
                   && Catch::Contains("AAH/Cg==\n"));
    CHECK(shown.find(binary) == std::string::npos);
    CHECK_THAT(f.ok({"kv", "get", "B", "empty"}), Catch::Contains("(empty value)"));

    const json blob = json::parse(f.ok({"kv", "get", "B", "blob", "--json"}));
    CHECK(blob["data_b64"] == "AAH/Cg==");
    CHECK(blob["encoding"] == "base64");
    CHECK(blob["revision"] == 3);
    CHECK(blob["length"] == 4);
    CHECK_THAT(blob["created"].get<std::string>(),
               Catch::Matches("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{9}Z"));
    const json empty = json::parse(f.ok({"kv", "get", "B", "empty", "--json"}));
    CHECK(empty["data"] == "");
    CHECK(empty["length"] == 0);
}

TEST_CASE("kv create, update, revert, del, purge, history, keys and compact") {
    KvFixture f;
    f.ok({"kv", "add", "B", "--history", "10"});
    CHECK(f.ok({"kv", "create", "B", "k", "v1"}) == "1\n");
    const RunResult exists = f.natty({"kv", "create", "B", "k", "again"});
    CHECK(exists.exit_code == 1);
    CHECK_THAT(exists.err,
               Catch::Contains("key \"k\" already exists in bucket \"B\" "
                               "(revision 1); nothing was written"));
    CHECK(f.ok({"kv", "update", "B", "k", "v2", "1"}) == "2\n");
    const RunResult stale = f.natty({"kv", "update", "B", "k", "v3", "1"});
    CHECK(stale.exit_code == 1);
    CHECK_THAT(stale.err,
               Catch::Contains("update of \"k\" rejected: the key changed (expected "
                               "revision 1, current 2); nothing was written"));
    CHECK(f.ok({"kv", "get", "B", "k", "--raw"}) == "v2");

    CHECK(f.ok({"kv", "revert", "B", "k", "1"}) == "3\n");
    CHECK(f.ok({"kv", "get", "B", "k", "--raw"}) == "v1");

    f.ok({"kv", "put", "B", "users.a", "1"});
    f.ok({"kv", "put", "B", "users.b", "2"});
    f.ok({"kv", "put", "B", "other", "3"});
    CHECK(f.ok({"kv", "keys", "B"}) == "k\nother\nusers.a\nusers.b\n");
    CHECK(f.ok({"kv", "keys", "B", "users.*"}) == "users.a\nusers.b\n");
    CHECK(json::parse(f.ok({"kv", "keys", "B", "--json"})).size() == 4);

    f.ok({"kv", "del", "B", "k"});
    const RunResult deleted = f.natty({"kv", "get", "B", "k"});
    CHECK(deleted.exit_code == 7);
    CHECK_THAT(deleted.err, Catch::Contains("key \"k\" not found in bucket \"B\""));
    CHECK(f.ok({"kv", "keys", "B"}) == "other\nusers.a\nusers.b\n");

    const json history = json::parse(f.ok({"kv", "history", "B", "k", "--json"}));
    REQUIRE(history.size() == 4);
    CHECK(history[0]["data"] == "v1");
    CHECK(history[1]["data"] == "v2");
    CHECK(history[2]["operation"] == "PUT");
    CHECK(history[3]["operation"] == "DEL");
    CHECK_THAT(f.ok({"kv", "history", "B", "k"}),
               Catch::Matches("History for B > k\n\nKey +Revision +Op +Created +Length +Value\n"
                              "k +1 +PUT +[-0-9: ]+ +2 +v1\nk +2 +PUT .*\nk +3 +PUT .*\n"
                              "k +7 +DEL +[-0-9: ]+ +0 *\n"));

    f.ok({"kv", "purge", "B", "users.a"});
    const json purged = json::parse(f.ok({"kv", "history", "B", "users.a", "--json"}));
    REQUIRE(purged.size() == 1);
    CHECK(purged[0]["operation"] == "PURGE");

    const RunResult compact_refused = f.natty({"kv", "compact", "B"});
    CHECK(compact_refused.exit_code == 2);
    const json compacted = json::parse(f.ok({"kv", "compact", "B", "-f", "--json"}));
    CHECK(compacted["removed"].get<int>() >= 2);
    CHECK(f.natty({"kv", "history", "B", "k"}).exit_code == 7);
    CHECK(f.ok({"kv", "keys", "B"}) == "other\nusers.b\n");
}

TEST_CASE("kv errors: missing bucket and key, invalid input, sizes") {
    ServerOptions opts = KvFixture::jetstream_options();
    opts.max_payload = 4096;
    KvFixture f(opts);
    f.ok({"kv", "add", "alpha"});
    f.ok({"kv", "add", "beta", "--max-value-size", "100"});

    const RunResult no_bucket = f.natty({"kv", "get", "gamma", "k"});
    CHECK(no_bucket.exit_code == 7);
    CHECK_THAT(no_bucket.err,
               Catch::Contains("natty: error: bucket \"gamma\" not found")
                   && Catch::Contains("hint: buckets here: alpha, beta"));
    CHECK(f.natty({"kv", "put", "gamma", "k", "v"}).exit_code == 7);
    CHECK(f.natty({"kv", "info", "gamma"}).exit_code == 7);
    CHECK(f.natty({"kv", "watch", "gamma"}).exit_code == 7);

    const RunResult no_key = f.natty({"kv", "get", "alpha", "nokey"});
    CHECK(no_key.exit_code == 7);
    CHECK_THAT(no_key.err, Catch::Contains("key \"nokey\" not found in bucket \"alpha\""));
    // Deleting or purging a key that has no value writes no marker.
    for (const char* command : {"del", "purge"}) {
        INFO(command);
        const RunResult r = f.natty({"kv", command, "alpha", "nokey"});
        CHECK(r.exit_code == 7);
        CHECK_THAT(r.err, Catch::Contains("key \"nokey\" not found in bucket \"alpha\""));
    }
    CHECK(json::parse(f.ok({"kv", "info", "alpha", "--json"}))["last_revision"] == 0);
    f.ok({"kv", "put", "alpha", "k", "v"});
    const RunResult no_rev = f.natty({"kv", "get", "alpha", "k", "--revision", "9"});
    CHECK(no_rev.exit_code == 7);
    CHECK_THAT(no_rev.err, Catch::Contains("key \"k\" has no revision 9"));

    for (const char* bad : {"foo..bar", "a b", ".a", "a.", "*", ">", "back\\slash"}) {
        INFO(bad);
        const RunResult r = f.natty({"kv", "put", "alpha", bad, "v"});
        CHECK(r.exit_code == 2);
        CHECK_THAT(r.err, Catch::Contains("invalid key"));
    }
    const RunResult pattern = f.natty({"kv", "watch", "alpha", "foo..bar"});
    CHECK(pattern.exit_code == 2);
    CHECK_THAT(pattern.err, Catch::Contains("invalid key pattern"));
    CHECK(f.natty({"kv", "add", "bad.name"}).exit_code == 2);
    const RunResult history = f.natty({"kv", "add", "h", "--history", "65"});
    CHECK(history.exit_code == 2);
    CHECK_THAT(history.err,
               Catch::Contains("--history: must be a whole number from 1 to 64, not \"65\""));
    CHECK(f.natty({"kv", "add", "s", "--max-value-size", "1XB"}).exit_code == 2);
    CHECK(f.natty({"kv", "add", "s", "--storage", "tape"}).exit_code == 2);

    const RunResult too_big = f.natty({"kv", "put", "beta", "k"}, std::string(101, 'x'));
    CHECK(too_big.exit_code == 2);
    CHECK_THAT(too_big.err,
               Catch::Contains("value of 101 bytes is larger than bucket \"beta\" "
                               "allows (max value size 100 bytes)"));
    CHECK(f.natty({"kv", "get", "beta", "k"}).exit_code == 7);
    // From stdin only max_payload + 1 bytes are read; an argument is checked whole.
    const RunResult over_payload = f.natty({"kv", "put", "alpha", "k"}, std::string(5000, 'x'));
    CHECK(over_payload.exit_code == 2);
    CHECK_THAT(over_payload.err,
               Catch::Contains("stdin holds more than the server's max_payload of 4,096 bytes"));
    const RunResult over_argument = f.natty({"kv", "put", "alpha", "k", std::string(5000, 'x')});
    CHECK(over_argument.exit_code == 2);
    CHECK_THAT(over_argument.err,
               Catch::Contains("value of 5000 bytes is larger than the "
                               "server's max_payload of 4096 bytes"));
    CHECK(f.ok({"kv", "get", "alpha", "k", "--raw"}) == "v");

    // With many buckets the hint names the first ten and counts the rest.
    for (int i = 0; i < 10; ++i) {
        f.ok({"kv", "add", "b" + std::to_string(i)});
    }
    CHECK_THAT(f.natty({"kv", "get", "gamma", "k"}).err,
               Catch::Contains("hint: buckets here: alpha, b0, b1, b2, b3, b4, b5, b6, b7, b8 and "
                               "2 more (natty kv ls --names)\n"));
}

TEST_CASE("kv usage errors are reported before connecting") {
    TempDir dir;
    RunOptions o;
    o.env = {{"HOME", dir.path().string()}, {"XDG_CONFIG_HOME", dir.path().string()}};
    // Nothing listens on port 1: a connection attempt would fail with exit 4, not 2.
    const std::vector<std::string> base = {natty_bin(), "--no-context", "-s", "nats://127.0.0.1:1"};
    auto with = [&](std::vector<std::string> args) {
        std::vector<std::string> argv = base;
        argv.insert(argv.end(), args.begin(), args.end());
        return run(argv, o);
    };
    CHECK(with({"kv", "put", "B", "a..b", "v"}).exit_code == 2);
    CHECK(with({"kv", "get", "B", "a\\b"}).exit_code == 2);
    CHECK(with({"kv", "rm", "B"}).exit_code == 2);
    CHECK(with({"kv", "watch", "B", "--updates", "--history"}).exit_code == 2);
    // CLI11 alone would read "-1" as 2^64-1, saturate 99999999999999999999 to it, and send it to
    // the server; revisions above 2^63-1 reach the server as a malformed request.
    const std::string max = "9223372036854775807";
    for (const auto& [args, flag, min] : std::vector<
             std::tuple<std::vector<std::string>, std::string, std::string>>{
             {{"kv", "get", "B", "k", "--revision", "-1"}, "--revision", "1"},
             {{"kv", "get", "B", "k", "--revision", "0"}, "--revision", "1"},
             {{"kv", "get", "B", "k", "--revision", "99999999999999999999"}, "--revision", "1"},
             {{"kv", "get", "B", "k", "--revision", "18446744073709551615"}, "--revision", "1"},
             {{"kv", "get", "B", "k", "--revision", "9223372036854775808"}, "--revision", "1"},
             {{"kv", "get", "B", "k", "--revision", "0x10"}, "--revision", "1"},
             {{"kv", "update", "B", "k", "v", "-5"}, "revision", "0"},
             {{"kv", "update", "B", "k", "v", "99999999999999999999"}, "revision", "0"},
             {{"kv", "revert", "B", "k", "0"}, "revision", "1"},
             {{"kv", "watch", "B", "--revision", "-1"}, "--revision", "1"},
             {{"kv", "watch", "B", "--revision", "99999999999999999999999"}, "--revision", "1"},
             {{"kv", "add", "B", "--history", "99999999999999999999"}, "--history", "1"},
             {{"kv", "add", "B", "--replicas", "0"}, "--replicas", "1"},
             {{"kv", "add", "B", "--replicas", "-1"}, "--replicas", "1"}}) {
        const RunResult r = with(args);
        INFO(args[1] << " " << args.back() << ": " << r.err);
        CHECK(r.exit_code == 2);
        const auto first = r.err.substr(0, r.err.find('\n'));
        CHECK_THAT(first, Catch::StartsWith("natty: error: " + flag + ": must be a whole number "
                                            "from " + min + " to "));
        CHECK_THAT(first, Catch::Contains("\"" + args.back() + "\""));
    }
    CHECK_THAT(with({"kv", "get", "B", "k", "--revision", "0"}).err,
               Catch::Contains("from 1 to " + max + ", not"));
    CHECK_THAT(with({"kv", "add", "B", "--history", "65"}).err,
               Catch::Contains("from 1 to 64, not"));
    CHECK_THAT(with({"kv", "add", "B", "--replicas", "6"}).err,
               Catch::Contains("from 1 to 5, not"));
    // The largest revision is a valid request: the failure is the connection's.
    CHECK(with({"kv", "get", "B", "k", "--revision", max}).exit_code == 4);
    CHECK(with({"kv", "get", "B", "k"}).exit_code == 4);
}

TEST_CASE("kv commands say when JetStream is not enabled") {
    KvFixture f(ServerOptions{});
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"kv", "get", "B", "k"}, {"kv", "ls"}, {"kv", "add", "B"}}) {
        const RunResult r = f.natty(args);
        INFO(args[1]);
        CHECK(r.exit_code == 1);
        CHECK_THAT(r.err, Catch::Contains("JetStream is not enabled"));
        CHECK_THAT(r.err, !Catch::Contains("No responders"));
    }
}

TEST_CASE("text nats.c pastes into JSON or subjects is escaped or refused", "[security]") {
    KvFixture f;
    // nats.c writes the description into the stream's JSON configuration as given: this one
    // used to set max_msgs_per_subject and come back as "x".
    const std::string sneaky = R"(x","max_msgs_per_subject":1,"y":")";
    const json added = json::parse(f.ok({"kv", "add", "B3", "--description", sneaky, "--json"}));
    CHECK(added["description"] == sneaky);
    const std::string with_escapes = "tab\there \\ \"quoted\" \x1b[31m";
    const json second = json::parse(f.ok({"kv", "add", "B4", "--description", with_escapes,
                                          "--json"}));
    CHECK(second["description"] == with_escapes);

    // A stream name or filter subject that would break the API subject or its JSON: exit 2.
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"sub", "--stream", "KV_B3 x", "--count", "1"},
             {"sub", "--stream", "a\r\nPUB x 1", "--count", "1"},
             {"sub", "--stream", "KV_B3", "$KV.B3.\"x", "--count", "1"}}) {
        INFO(args[2]);
        const RunResult r = f.natty(args);
        CHECK(r.exit_code == 2);
        CHECK_FALSE(contains(r.err, "invalid JSON"));
    }
}
