#pragma once

#include <string>
#include <string_view>

namespace natty::nats {

// NKeys (Ed25519 keys in NATS's base32 encoding) as far as a client needs them: nats.c 3.4's
// natsOptions_SetNKeyFromSeed wants the public key next to the seed file, so natty derives it.

// The user public key ("U...") for a user seed ("SU..."). Throws ConfigError if malformed.
std::string nkey_public_from_seed(std::string_view seed);

// Encodes a raw 32-byte Ed25519 seed as a user seed ("SU..."); used by tests.
std::string nkey_encode_user_seed(std::string_view raw_seed);

// Reads the first user seed from a seed or creds-style file. Throws ConfigError.
std::string nkey_read_seed_file(const std::string& path);

} // namespace natty::nats
