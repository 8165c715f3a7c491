#include <natty/error.hpp>
#include <natty/nats/message.hpp>
#include <natty/nats/publish.hpp>
#include <natty/output/output.hpp>
#include <natty/util/utf8.hpp>

// The messaging helpers are private to src/commands; they are tested here with the messages.
#include "../../src/commands/messaging.hpp"
#include "../../src/commands/sub_print.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sstream>

using namespace natty;

TEST_CASE("a created message exposes subject, reply and binary payload") {
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
    auto msg = nats::Message::create("s", "", "x");
    CHECK(msg.headers().empty());
    CHECK(nats::header_wire_size({}) == 0);
}

TEST_CASE("header wire size counts the NATS/1.0 preamble and each line") {
    const nats::Headers headers{{"A", {"1", "22"}}};
    // "NATS/1.0\r\n" (10) + "A: 1\r\n" (6) + "A: 22\r\n" (7) + "\r\n" (2)
    CHECK(nats::header_wire_size(headers) == 25);
}

TEST_CASE("counts are grouped in thousands") {
    CHECK(output::with_commas(0) == "0");
    CHECK(output::with_commas(10) == "10");
    CHECK(output::with_commas(999) == "999");
    CHECK(output::with_commas(1000) == "1,000");
    CHECK(output::with_commas(12345) == "12,345");
    CHECK(output::with_commas(123456) == "123,456");
    CHECK(output::with_commas(1234567) == "1,234,567");
    CHECK(output::count_of(1, "message") == "1 message");
    CHECK(output::count_of(2000, "message") == "2,000 messages");
}

TEST_CASE("message JSON escapes text and base64-encodes binary bodies") {
    auto text = nats::Message::create("s", "r", "q\"\\\t\x01 é");
    text.add_header("K", "v");
    const auto t = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
    const auto doc = nlohmann::json::parse(messaging::message_json(text, t, "\"number\":3"));
    CHECK(doc["number"] == 3);
    CHECK(doc["subject"] == "s");
    CHECK(doc["reply"] == "r");
    CHECK(doc["data"] == "q\"\\\t\x01 é");
    CHECK(doc["headers"]["K"] == nlohmann::json::array({"v"}));
    CHECK(doc["time"] == "2023-11-14T22:13:20.000000000Z");
    auto binary = nats::Message::create("b", "", std::string("\xff\x00", 2));
    const auto bin = nlohmann::json::parse(messaging::message_json(binary, t));
    CHECK(bin["encoding"] == "base64");
    CHECK(bin["data_b64"] == "/wA=");
    CHECK(bin["size"] == 2);
    CHECK_FALSE(bin.contains("reply"));
}

TEST_CASE("message JSON stays valid for bytes that are not UTF-8 and marks base64 headers") {
    // A raw client can publish any bytes as a subject; Python's json.loads refused the line.
    auto odd = nats::Message::create("w.\xff\xfe", "r.\xc3", "x");
    odd.add_header("K", "\xff\xfe");
    odd.add_header("Plain", "v");
    const auto t = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
    const std::string line = messaging::message_json(odd, t);
    CHECK(natty::is_valid_utf8(line));
    const auto doc = nlohmann::json::parse(line);
    CHECK(doc["subject"] == "w.\xEF\xBF\xBD\xEF\xBF\xBD");
    CHECK(doc["reply"] == "r.\xEF\xBF\xBD");
    CHECK_FALSE(doc.contains("headers"));
    CHECK(doc["headers_b64"]["Sw=="] == nlohmann::json::array({"//4="}));
    CHECK(doc["headers_b64"]["UGxhaW4="] == nlohmann::json::array({"dg=="}));
}

TEST_CASE("message JSON can name another subject than the message's own") {
    auto reply = nats::Message::create("_INBOX.abc.1", "", "pong");
    const auto t = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
    const auto own = nlohmann::json::parse(messaging::message_json(reply, t));
    CHECK(own["subject"] == "_INBOX.abc.1");
    const auto asked = nlohmann::json::parse(messaging::message_json(reply, t, {}, {}, "svc.ping"));
    CHECK(asked["subject"] == "svc.ping");
    CHECK(asked["data"] == "pong");
}

TEST_CASE("a message to publish carries its headers in the order given") {
    const nats::Headers headers{{"B", {"1", "2"}}, {"A", {"3"}}};
    const auto msg = nats::make_message("s", "r", "x", headers);
    CHECK(msg.subject() == "s");
    CHECK(msg.reply() == "r");
    CHECK(msg.headers() == nats::Headers{{"A", {"3"}}, {"B", {"1", "2"}}});
}

TEST_CASE("human body rendering: newline added, empty shown, binary summarised on a terminal") {
    std::ostringstream out;
    std::ostringstream err;
    std::istringstream in;
    Io io(out, err, in);
    messaging::write_human_body(io, "hello");
    messaging::write_human_body(io, "line\n");
    messaging::write_human_body(io, "");
    CHECK(out.str() == "hello\nline\nnil body\n");
    out.str("");
    io.stdout_is_tty = true;
    messaging::write_human_body(io, std::string("\x01\x02\xff", 3));
    CHECK(out.str() == "<binary body, 3 bytes: use --raw, --json or --dump to see it>\n");
    out.str("");
    io.stdout_is_tty = false;
    messaging::write_human_body(io, std::string("\x01\x02\xff", 3));
    CHECK(out.str() == std::string("\x01\x02\xff\n", 4));
}

TEST_CASE("headers and subjects from the wire cannot drive the terminal") {
    // A raw client can publish these; natty's own pub would refuse them.
    auto msg = nats::Message::create("z.\x1b[31mb", "r\x1bx", "body");
    msg.add_header("K\x1b]0;pwned\x07", "v\x1b[2Jx");
    CHECK(messaging::header_lines(msg.headers())
          == std::vector<std::string>{"K\\x1b]0;pwned\\x07: v\\x1b[2Jx"});

    std::ostringstream out;
    std::ostringstream err;
    std::istringstream in;
    Io io(out, err, in);
    SubOptions options;
    sub_detail::Printer printer(options, io, sub_detail::Mode::human);
    REQUIRE(printer.handle({std::move(msg), sub_detail::WallClock::now()}));
    CHECK(out.str()
          == "[#1] Received on \"z.\\x1b[31mb\" with reply \"r\\x1bx\"\n"
             "K\\x1b]0;pwned\\x07: v\\x1b[2Jx\n\nbody\n\n");
}
