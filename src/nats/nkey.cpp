#include <natty/error.hpp>
#include <natty/nats/nkey.hpp>

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <fstream>
#include <memory>
#include <sstream>

namespace natty::nats {
namespace {

constexpr std::string_view k_base32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr unsigned k_prefix_seed = 18u << 3;
constexpr unsigned k_prefix_user = 20u << 3;

// CRC-16/XMODEM, the checksum NKeys append (little-endian).
std::uint16_t crc16(std::string_view data) {
    std::uint16_t crc = 0;
    for (char ch : data) {
        crc = static_cast<std::uint16_t>(crc ^ (static_cast<unsigned char>(ch) << 8));
        for (int i = 0; i < 8; ++i) {
            crc = (crc & 0x8000) != 0 ? static_cast<std::uint16_t>((crc << 1) ^ 0x1021)
                                      : static_cast<std::uint16_t>(crc << 1);
        }
    }
    return crc;
}

std::string base32_encode(std::string_view data) {
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    for (char ch : data) {
        buffer = (buffer << 8) | static_cast<unsigned char>(ch);
        bits += 8;
        while (bits >= 5) {
            out += k_base32[(buffer >> (bits - 5)) & 31u];
            bits -= 5;
        }
    }
    if (bits > 0) {
        out += k_base32[(buffer << (5 - bits)) & 31u];
    }
    return out;
}

std::string base32_decode(std::string_view text) {
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    for (char ch : text) {
        const auto pos = k_base32.find(ch);
        if (pos == std::string_view::npos) {
            throw ConfigError("invalid NKey seed: unexpected character");
        }
        buffer = (buffer << 5) | static_cast<unsigned>(pos);
        bits += 5;
        if (bits >= 8) {
            out += static_cast<char>((buffer >> (bits - 8)) & 0xFFu);
            bits -= 8;
        }
    }
    return out;
}

std::string with_crc(std::string payload) {
    const std::uint16_t crc = crc16(payload);
    payload += static_cast<char>(crc & 0xFF);
    payload += static_cast<char>(crc >> 8);
    return base32_encode(payload);
}

} // namespace

std::string nkey_encode_user_seed(std::string_view raw_seed) {
    std::string payload;
    payload += static_cast<char>(k_prefix_seed | (k_prefix_user >> 5));
    payload += static_cast<char>((k_prefix_user & 31u) << 3);
    payload += raw_seed;
    return with_crc(payload);
}

std::string nkey_public_from_seed(std::string_view seed) {
    const std::string raw = base32_decode(seed);
    if (raw.size() != 36) {
        throw ConfigError("invalid NKey seed: wrong length");
    }
    const std::string body = raw.substr(0, 34);
    const auto crc = static_cast<std::uint16_t>(static_cast<unsigned char>(raw[34]) |
                                                (static_cast<unsigned char>(raw[35]) << 8));
    if (crc16(body) != crc) {
        throw ConfigError("invalid NKey seed: checksum mismatch");
    }
    const auto b0 = static_cast<unsigned char>(body[0]);
    const auto b1 = static_cast<unsigned char>(body[1]);
    const unsigned prefix = ((b0 & 7u) << 5) | ((b1 & 0xF8u) >> 3);
    if ((b0 & 0xF8u) != k_prefix_seed || prefix != k_prefix_user) {
        throw ConfigError("invalid NKey seed: not a user seed (it should start with SU)");
    }
    const std::string raw_seed = body.substr(2);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                     reinterpret_cast<const unsigned char*>(raw_seed.data()),
                                     raw_seed.size()),
        EVP_PKEY_free);
    std::array<unsigned char, 32> pub{};
    std::size_t len = pub.size();
    if (!key || EVP_PKEY_get_raw_public_key(key.get(), pub.data(), &len) != 1 || len != 32) {
        throw ConfigError("invalid NKey seed: cannot derive the public key");
    }
    std::string payload;
    payload += static_cast<char>(k_prefix_user);
    payload.append(reinterpret_cast<const char*>(pub.data()), pub.size());
    return with_crc(payload);
}

std::string nkey_read_seed_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        throw ConfigError("cannot read NKey seed file " + path);
    }
    std::string line;
    while (std::getline(in, line)) {
        const auto start = line.find("SU");
        if (start != std::string::npos) {
            std::string seed;
            for (std::size_t i = start; i < line.size() && std::isalnum(
                                                               static_cast<unsigned char>(line[i]));
                 ++i) {
                seed += line[i];
            }
            if (seed.size() >= 58) {
                return seed;
            }
        }
    }
    throw ConfigError("no user NKey seed (SU...) found in " + path);
}

} // namespace natty::nats
