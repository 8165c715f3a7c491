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
    CHECK(redact_url("a:1,b:2") == "a:1,b:2");
    CHECK(redact_url("a:1,u:p@b") == "a:1,u:***@b");
    CHECK(redact_url("tls://[::1]:5000,u:p@c") == "tls://[::1]:5000,u:***@c");
}

TEST_CASE("a password may hold '/', '?', '#', '@' and ','", "[url]") {
    const auto urls = parse_server_list("nats://bob:a/b?c#d@e@127.0.0.1:4223,tls://h,x:se,cret@h2");
    REQUIRE(urls.size() == 3);
    CHECK(urls[0].user == "bob");
    CHECK(urls[0].password == "a/b?c#d@e");
    CHECK(urls[2].password == "se,cret");
    CHECK(urls[0].port == 4223);
    CHECK(urls[0].redacted() == "nats://bob:***@127.0.0.1:4223");
    CHECK(urls[1].host == "h");
    // A bad port after such a password names the URL without the password.
    try {
        parse_server_list("nats://bob:se,cret@h:99999");
        FAIL("accepted");
    } catch (const UsageError& e) {
        CHECK(std::string(e.what()).find("cret") == std::string::npos);
        CHECK(std::string(e.what()).find("se") == std::string(e.what()).find("server"));
    }
}

TEST_CASE("secrets are masked with a fixed width", "[redact]") {
    CHECK(mask_secret("abc") == "********");
    CHECK(mask_secret(std::string(40, 'x')) == "********");
    CHECK(mask_secret("").empty());
}
