#include <natty/error.hpp>
#include <natty/nats/nkey.hpp>

#include <catch2/catch.hpp>

using namespace natty;

TEST_CASE("a user NKey seed yields its public key", "[nkey]") {
    const std::string seed = nats::nkey_encode_user_seed(std::string(32, '\x07'));
    CHECK(seed.size() == 58);
    CHECK(seed.rfind("SU", 0) == 0);
    const std::string pub = nats::nkey_public_from_seed(seed);
    CHECK(pub.size() == 56);
    CHECK(pub.front() == 'U');
    CHECK(nats::nkey_public_from_seed(seed) == pub);
    CHECK(nats::nkey_public_from_seed(nats::nkey_encode_user_seed(std::string(32, '\x08'))) != pub);
}

TEST_CASE("corrupt NKey seeds are configuration errors", "[nkey]") {
    std::string seed = nats::nkey_encode_user_seed(std::string(32, '\x07'));
    std::string flipped = seed;
    flipped[10] = flipped[10] == 'A' ? 'B' : 'A';
    CHECK_THROWS_AS(nats::nkey_public_from_seed(flipped), ConfigError);
    CHECK_THROWS_AS(nats::nkey_public_from_seed(seed.substr(0, 20)), ConfigError);
    CHECK_THROWS_AS(nats::nkey_public_from_seed("not-base32!"), ConfigError);
}
