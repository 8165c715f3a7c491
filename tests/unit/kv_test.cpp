#include <natty/commands/kv.hpp>
#include <natty/error.hpp>
#include <natty/output/output.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <sstream>

using natty::kv_bucket_problem;
using natty::kv_filter_problem;
using natty::kv_key_problem;
using natty::parse_size;
using natty::render_value_inline;

TEST_CASE("kv keys follow ADR-8 and reject what Go clients would reject") {
    for (const char* ok : {"a", "users.42", "a-b_c/d=e", "A.B.C", "x.y.z.0"}) {
        INFO(ok);
        CHECK(kv_key_problem(ok).empty());
    }
    for (const char* bad : {"",
                            ".a",
                            "a.",
                            "foo..bar",
                            "a b",
                            "*",
                            ">",
                            "a.*",
                            "back\\slash",
                            "caf\xc3\xa9",
                            "a\tb"}) {
        INFO(bad);
        CHECK_FALSE(kv_key_problem(bad).empty());
    }
    CHECK_THAT(kv_key_problem("back\\slash"), Catch::Contains("'\\'"));
    CHECK_THAT(kv_key_problem("foo..bar"), Catch::Contains("empty token"));
    CHECK_THAT(kv_key_problem("a b"), Catch::Contains("a space"));
}

TEST_CASE("kv key filters allow * tokens and a final >") {
    for (const char* ok : {">", "users.*", "users.>", "*.x.*", "plain"}) {
        INFO(ok);
        CHECK(kv_filter_problem(ok).empty());
    }
    for (const char* bad : {"", "foo..bar", "a.>.b", "us*rs", "a.", "a\\b"}) {
        INFO(bad);
        CHECK_FALSE(kv_filter_problem(bad).empty());
    }
}

TEST_CASE("kv bucket names are letters, digits, dash and underscore") {
    CHECK(kv_bucket_problem("Game_state-1").empty());
    CHECK_FALSE(kv_bucket_problem("").empty());
    CHECK_FALSE(kv_bucket_problem("bad.name").empty());
    CHECK_FALSE(kv_bucket_problem("a b").empty());
    CHECK_FALSE(kv_bucket_problem("a>").empty());
}

TEST_CASE("kv sizes accept bytes and K/M/G/T units as powers of 1024") {
    CHECK(parse_size("1024", "--x") == 1024);
    CHECK(parse_size("1KB", "--x") == 1024);
    CHECK(parse_size("1k", "--x") == 1024);
    CHECK(parse_size("1MB", "--x") == 1048576);
    CHECK(parse_size("1MiB", "--x") == 1048576);
    CHECK(parse_size("1GiB", "--x") == 1073741824);
    CHECK(parse_size("1.5G", "--x") == 1610612736);
    CHECK(parse_size("2 MB", "--x") == 2097152);
    CHECK(parse_size("100B", "--x") == 100);
    CHECK(parse_size("-1", "--x") == -1);
    CHECK(parse_size("unlimited", "--x") == -1);
    for (const char* bad : {"", "MB", "1XB", "abc", "1.2.3", "-5", "1e3"}) {
        INFO(bad);
        CHECK_THROWS_AS(parse_size(bad, "--max-value-size"), natty::UsageError);
    }
    CHECK_THROWS_WITH(parse_size("12parsecs", "--max-bucket-size"),
                      Catch::Contains("--max-bucket-size") && Catch::Contains("12parsecs"));
}

TEST_CASE("sizes render with binary units") {
    CHECK(natty::output::human_bytes(0) == "0 B");
    CHECK(natty::output::human_bytes(1023) == "1023 B");
    CHECK(natty::output::human_bytes(1024) == "1.0 KiB");
    CHECK(natty::output::human_bytes(1536) == "1.5 KiB");
    CHECK(natty::output::human_bytes(1073741824) == "1.0 GiB");
}

TEST_CASE("kv values render safely on one line") {
    CHECK(render_value_inline("hello", 0) == "hello");
    CHECK(render_value_inline("", 0).empty());
    CHECK(render_value_inline("caf\xc3\xa9", 0) == "caf\xc3\xa9");
    CHECK(render_value_inline(std::string("\x00\x01\xff", 3), 0) == "base64:AAH/");
    CHECK(render_value_inline("two\nlines", 0) == "base64:dHdvCmxpbmVz");
    CHECK(render_value_inline("\x1b[31mred", 0).rfind("base64:", 0) == 0);
    CHECK(render_value_inline("abcdefghij", 8) == "abcde...");
    // A cut never splits a multi-byte character.
    CHECK(render_value_inline("a\xc3\xa9"
                              "bcd",
                              5)
          == "a...");
}

namespace {

// A bucket "cfg" as the server would describe it, without placement.
natty::nats::StreamInfo sample_bucket() {
    natty::nats::StreamInfo info;
    info.config.name = "KV_cfg";
    info.config.storage = natty::nats::StorageType::memory;
    info.config.replicas = 1;
    info.config.max_bytes = -1;
    info.config.max_message_size = 1024;
    info.config.max_age = std::chrono::hours(1);
    info.config.max_messages_per_subject = 5;
    info.state.messages = 3;
    info.state.bytes = 2048;
    info.state.last_sequence = 7;
    info.created = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
    return info;
}

} // namespace

TEST_CASE("kv bucket JSON reads the plain stream info: limits, storage, no update yet") {
    const nlohmann::json j = natty::kv_bucket_json(sample_bucket());
    CHECK(j["bucket"] == "cfg");
    CHECK(j["stream"] == "KV_cfg");
    CHECK(j["description"] == "");
    CHECK(j["created"] == "2023-11-14T22:13:20.000000000Z");
    CHECK(j["values"] == 3);
    CHECK(j["bytes"] == 2048);
    CHECK(j["history"] == 5);
    CHECK(j["ttl"] == "1h0m0s");
    CHECK(j["ttl_ns"] == 3600000000000LL);
    CHECK(j["max_value_size"] == 1024);
    CHECK(j["max_bucket_size"] == -1);
    CHECK(j["storage"] == "memory");
    CHECK(j["replicas"] == 1);
    CHECK(j["last_revision"] == 7);
    CHECK(j["last_update"].is_null());
    CHECK_FALSE(j.contains("cluster"));
}

TEST_CASE("kv bucket JSON and text name the cluster, its leader and each replica's state") {
    auto info = sample_bucket();
    info.state.last_time = info.created + std::chrono::seconds(1);
    info.cluster = natty::nats::ClusterInfo{
        "east", "n1", {{"n2", true, false, {}, 0}, {"n3", false, true, {}, 3}}};
    const nlohmann::json j = natty::kv_bucket_json(info);
    CHECK(j["last_update"] == "2023-11-14T22:13:21.000000000Z");
    CHECK(j["cluster"]["name"] == "east");
    CHECK(j["cluster"]["leader"] == "n1");
    REQUIRE(j["cluster"]["replicas"].size() == 2);
    CHECK(j["cluster"]["replicas"][1]
          == nlohmann::json{{"name", "n3"}, {"current", false}, {"offline", true}, {"lag", 3}});

    std::ostringstream out;
    std::ostringstream err;
    std::istringstream in;
    natty::Io io(out, err, in);
    natty::render_kv_bucket(io, info);
    const std::string text = out.str();
    CHECK_THAT(text, Catch::StartsWith("Information for Key-Value Store Bucket cfg created "));
    CHECK_THAT(text, Catch::Contains("Maximum Bucket Size: unlimited"));
    CHECK_THAT(text, Catch::Contains("Maximum Value Size: 1.0 KiB"));
    CHECK_THAT(text, Catch::Contains("Maximum Age: 1h0m0s"));
    CHECK_THAT(text, Catch::Contains("Storage: memory"));
    CHECK_THAT(text, Catch::Contains("Replica: n2, current\n"));
    CHECK_THAT(text, Catch::Contains("Replica: n3, outdated, OFFLINE, 3 operations behind\n"));
    CHECK_THAT(text, !Catch::Contains("Description"));
}
