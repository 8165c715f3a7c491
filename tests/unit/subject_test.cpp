#include <natty/error.hpp>
#include <natty/util/subject.hpp>

#include <catch2/catch.hpp>

using namespace natty;

TEST_CASE("publish subjects that nats.c would mangle are refused") {
    CHECK(publish_subject_problem("orders.new") == std::nullopt);
    CHECK(publish_subject_problem("a") == std::nullopt);
    CHECK(*publish_subject_problem("") == "it is empty");
    CHECK(*publish_subject_problem("foo bar") == "it contains a space");
    CHECK(*publish_subject_problem("foo\r\nPUB x 1") == "it contains a carriage return (CR)");
    CHECK(*publish_subject_problem("foo\nbar") == "it contains a line feed (LF)");
    CHECK(*publish_subject_problem("foo\tbar") == "it contains a tab");
    CHECK(*publish_subject_problem("foo..bar") == "it has an empty token ('..')");
    CHECK(*publish_subject_problem(".foo") == "it starts with '.'");
    CHECK(*publish_subject_problem("foo.") == "it ends with '.'");
    CHECK(publish_subject_problem("foo.*").has_value());
    CHECK(publish_subject_problem("foo.>").has_value());
}

TEST_CASE("subjects and queue names too long for one protocol line are refused") {
    const std::string longest(k_max_subject_bytes, 'a');
    const std::string too_long(k_max_subject_bytes + 1, 'a');
    CHECK(publish_subject_problem(longest) == std::nullopt);
    CHECK(subscribe_subject_problem(longest) == std::nullopt);
    CHECK(queue_name_problem(longest) == std::nullopt);
    CHECK_THAT(*publish_subject_problem(too_long), Catch::Contains("2001 bytes long"));
    CHECK(subscribe_subject_problem(too_long).has_value());
    CHECK(queue_name_problem(too_long).has_value());
    try {
        require_publish_subject(std::string(5000, 'x'), "subject");
        FAIL("no exception");
    } catch (const UsageError& e) {
        // The message names the input without repeating all 5000 bytes of it.
        CHECK(std::string(e.what()).size() < 300);
        CHECK_THAT(e.what(), Catch::Contains("xxx...\": it is 5000 bytes long"));
    }
}

TEST_CASE("subscribe subjects allow whole-token wildcards only") {
    CHECK(subscribe_subject_problem("orders.*") == std::nullopt);
    CHECK(subscribe_subject_problem("orders.>") == std::nullopt);
    CHECK(subscribe_subject_problem(">") == std::nullopt);
    CHECK(subscribe_subject_problem("*.x.*") == std::nullopt);
    CHECK(*subscribe_subject_problem("foo.>.bar") == "'>' is only allowed as the last token");
    CHECK(subscribe_subject_problem("foo.ba*").has_value());
    CHECK(subscribe_subject_problem("foo.>x").has_value());
    CHECK(subscribe_subject_problem("foo..bar").has_value());
    CHECK(subscribe_subject_problem("").has_value());
}

TEST_CASE("the throwing forms are usage errors naming the input") {
    try {
        require_publish_subject("foo bar", "subject");
        FAIL("no exception");
    } catch (const UsageError& e) {
        CHECK(std::string(e.what()) == "invalid subject \"foo bar\": it contains a space");
        CHECK_FALSE(e.hint().empty());
    }
    try {
        require_publish_subject("a\r\nb", "subject");
        FAIL("no exception");
    } catch (const UsageError& e) {
        CHECK(std::string(e.what()).find("a\\r\\nb") != std::string::npos);
    }
    CHECK_THROWS_AS(require_queue_name("a b", "--queue name"), UsageError);
    CHECK_NOTHROW(require_queue_name("workers", "--queue name"));
}

TEST_CASE("header flags split on the first colon and trim both sides") {
    auto [key, value] = parse_header_flag(" Content-Type : text/plain ", "-H");
    CHECK(key == "Content-Type");
    CHECK(value == "text/plain");
    auto [k2, v2] = parse_header_flag("X-Url:http://x:1/y", "-H");
    CHECK(k2 == "X-Url");
    CHECK(v2 == "http://x:1/y");
    auto [k3, v3] = parse_header_flag("Empty:", "-H");
    CHECK(k3 == "Empty");
    CHECK(v3.empty());
    CHECK_THROWS_WITH(parse_header_flag("NoColon", "-H"), Catch::Contains("there is no ':'"));
    CHECK_THROWS_AS(parse_header_flag(":value", "-H"), UsageError);
    CHECK_THROWS_AS(parse_header_flag("Bad Key:v", "-H"), UsageError);
}

TEST_CASE("header keys and values reject protocol-breaking characters") {
    CHECK(header_key_problem("X-Id") == std::nullopt);
    CHECK(header_key_problem("X:Id").has_value());
    CHECK(header_key_problem("").has_value());
    CHECK(header_value_problem("a\tb") == std::nullopt);
    CHECK(header_value_problem("a\r\nX-Evil: 1").has_value());
    CHECK(header_value_problem("a\nb").has_value());
}

TEST_CASE("subject matching follows NATS wildcard rules") {
    CHECK(subject_matches("a.b", "a.b"));
    CHECK_FALSE(subject_matches("a.b", "a.c"));
    CHECK(subject_matches("a.*", "a.b"));
    CHECK_FALSE(subject_matches("a.*", "a.b.c"));
    CHECK(subject_matches("a.>", "a.b.c"));
    CHECK_FALSE(subject_matches("a.>", "a"));
    CHECK(subject_matches(">", "x"));
    CHECK(subject_matches("*.b.>", "a.b.c.d"));
    CHECK_FALSE(subject_matches("a.b.c", "a.b"));
}
