#include <natty/error.hpp>
#include <natty/util/redact.hpp>
#include <natty/util/url.hpp>

#include <catch2/catch.hpp>

using namespace natty;

TEST_CASE("server lists parse with defaults for scheme and port", "[url]") {
    const auto urls = parse_server_list("a, nats://b:4223 ,tls://[::1]:5000,u:p@c");
    REQUIRE(urls.size() == 4);
    CHECK(urls[0].str() == "nats://a:4222");
    CHECK(urls[1].str() == "nats://b:4223");
    CHECK(urls[2].scheme == "tls");
    CHECK(urls[2].host == "::1");
    CHECK(urls[2].str() == "tls://[::1]:5000");
    CHECK(urls[2].host_is_ip());
    CHECK(urls[3].user == "u");
    CHECK(urls[3].password == "p");
    CHECK(urls[3].redacted() == "nats://u:***@c:4222");
    CHECK_FALSE(urls[0].host_is_ip());
}

TEST_CASE("a URL's str() parses back to the same URL", "[url]") {
    // A token with a ':' ("nats://:a:b@h") was written as "a:b@h", user a and password b.
    for (const char* text : {"nats://:a:b@h", "nats://tok@h:1", "tls://u:p:w@[::1]:2", "::@g/"}) {
        INFO(text);
        const auto url = parse_server_list(text).front();
        const auto again = parse_server_list(url.str()).front();
        CHECK(again.user == url.user);
        CHECK(again.password == url.password);
        CHECK(again.host == url.host);
        CHECK(again.port == url.port);
    }
}

TEST_CASE("bad server URLs are usage errors that do not echo credentials", "[url]") {
    for (const char* bad : {"", "http://x", "nats://", "nats://h:0", "nats://h:99999", "h:abc",
                            "nats://u:s3cret@h:99999", "::1:4222", "nats://h/path", "[[2]", "[a]]:1",
                            "h]:1"}) {
        INFO(bad);
        try {
            parse_server_list(bad);
            FAIL("accepted");
        } catch (const UsageError& e) {
            CHECK(std::string(e.what()).find("s3cret") == std::string::npos);
        }
    }
}

TEST_CASE("URL credentials are redacted in lists", "[redact]") {
    CHECK(redact_url("nats://alice:s3cret@127.0.0.1:4222") == "nats://alice:***@127.0.0.1:4222");
    CHECK(redact_url("nats://tok@h:1,nats://h2:2") == "nats://***@h:1,nats://h2:2");
    CHECK(redact_url("nats://h:1") == "nats://h:1");
}

TEST_CASE("passwords holding URL delimiters are masked whole", "[redact]") {
    CHECK(redact_url("nats://bob:pa?ss@h:1") == "nats://bob:***@h:1");
    CHECK(redact_url("nats://bob:pa/ss@h:1") == "nats://bob:***@h:1");
    CHECK(redact_url("nats://bob:p#a@ss@h:1") == "nats://bob:***@h:1");
    CHECK(redact_url("nats://bob:se,cret@h:1,nats://h2:2") == "nats://bob:***@h:1,nats://h2:2");
    CHECK(redact_url("nats://bob:se,cr,et@h:1") == "nats://bob:***@h:1");
    CHECK(redact_url("nats://bob:1234,5678@h:1") == "nats://bob:***@h:1");
    CHECK(redact_url("a:1,b:2") == "a:1,b:2");
    // Too much hidden rather than too little: see redaction_items.
    CHECK(redact_url("a:1,u:p@b") == "a:***@b");
}

TEST_CASE("URLs read as Go reads them: userinfo before the path, '@' and ':' in a password",
          "[url]") {
    const auto urls = parse_server_list("nats://bob:a@b:c@127.0.0.1:4223,tls://h");
    REQUIRE(urls.size() == 2);
    CHECK(urls[0].user == "bob");
    CHECK(urls[0].password == "a@b:c");
    CHECK(urls[0].port == 4223);
    CHECK(urls[0].redacted() == "nats://bob:***@127.0.0.1:4223");
    CHECK(urls[1].host == "h");
    // An '@' after the authority is not userinfo: the host named stays the host.
    for (const char* bad : {"nats://bob:s3cr3t@127.0.0.1:1/x@y", "nats://127.0.0.1:1/?pw=a@b",
                            "nats://bob:pa/ss@h:1", "nats://bob:pa?ss@h:1"}) {
        INFO(bad);
        CHECK_THROWS_WITH(parse_server_list(bad), Catch::Contains("has no path"));
    }
    // A password holding a comma is not one URL, and the error does not show a piece of it.
    for (const char* bad : {"nats://bob:se,cret@h:99999", "nats://bob:se,cr,et@127.0.0.1:1"}) {
        INFO(bad);
        try {
            parse_server_list(bad);
            FAIL("accepted");
        } catch (const UsageError& e) {
            const std::string message = e.what();
            CHECK(message.find("se,") == std::string::npos);
            CHECK(message.find("cret") == std::string::npos);
            CHECK(message.find("nats://bob:***@") != std::string::npos);
        }
    }
}

TEST_CASE("secrets are masked with a fixed width", "[redact]") {
    CHECK(mask_secret("abc") == "********");
    CHECK(mask_secret(std::string(40, 'x')) == "********");
    CHECK(mask_secret("").empty());
}
