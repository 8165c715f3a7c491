#include <natty/error.hpp>
#include <natty/nats/library.hpp>
#include <natty/nats/message.hpp>

#include <catch2/catch.hpp>

using namespace natty;

TEST_CASE("a created message exposes subject, reply and binary payload") {
    nats::Library library;
    const std::string payload("a\0b\xff", 4);
    auto msg = nats::Message::create("orders.new", "_INBOX.x", payload);
    CHECK(msg.subject() == "orders.new");
    CHECK(msg.reply() == "_INBOX.x");
    CHECK(msg.data() == payload);
    auto bare = nats::Message::create("s", "", "");
    CHECK(bare.reply().empty());
    CHECK(bare.data().empty());
}

TEST_CASE("headers come back sorted by key with values in insertion order") {
    nats::Library library;
    auto msg = nats::Message::create("s", "", "x");
    msg.add_header("Zeta", "1");
    msg.add_header("Alpha", "first");
    msg.add_header("Alpha", "second");
    msg.add_header("Mid", "m");
    const auto headers = msg.headers();
    REQUIRE(headers.size() == 3);
    CHECK(headers[0].first == "Alpha");
    CHECK(headers[0].second == std::vector<std::string>{"first", "second"});
    CHECK(headers[1].first == "Mid");
    CHECK(headers[2].first == "Zeta");
    CHECK(msg.header("Mid") == "m");
    CHECK(msg.header("Missing").empty());
}

TEST_CASE("a message without headers has an empty header list") {
    nats::Library library;
    auto msg = nats::Message::create("s", "", "x");
    CHECK(msg.headers().empty());
    CHECK(nats::header_wire_size({}) == 0);
}

TEST_CASE("header wire size counts the NATS/1.0 preamble and each line") {
    const nats::Headers headers{{"A", {"1", "22"}}};
    // "NATS/1.0\r\n" (10) + "A: 1\r\n" (6) + "A: 22\r\n" (7) + "\r\n" (2)
    CHECK(nats::header_wire_size(headers) == 25);
}
