#pragma once

#include <natty/util/duration.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace natty::nats {

// Everything the nats layer needs to open a connection, as plain values. The context layer
// builds it from Settings (flag > env > context > default); this layer knows nothing of
// contexts, flags or where a value came from.
struct ConnectSpec {
    std::vector<std::string> servers; // full URLs, userinfo included when the user gave it
    std::string user;
    std::string password;
    std::string token;
    std::string creds_file;
    std::string nkey_seed_file;
    std::string cert_file;
    std::string key_file;
    std::string ca_file;
    // Set for a CA, a client certificate or a tls:// URL: natty then refuses plaintext
    // (nats.c 3.4 does not enforce TLS on its own).
    bool tls_required = false;
    // The host every URL names, for certificate verification; empty when they differ or are IPs.
    std::string expected_hostname;
    Duration timeout = std::chrono::seconds(5);
    std::string name; // connection name shown by the server
    std::string inbox_prefix;
    std::string jetstream_domain;
    std::string jetstream_api_prefix;
    // Long-running commands (sub, kv watch) reconnect forever; one-shot commands fail fast.
    bool reconnect = false;
    bool trace = false;
    // Every publish goes out at once instead of being batched by nats.c's flusher thread, which
    // waits about a millisecond for more: for commands that make or answer requests one at a
    // time (request, reply, kv, bench request, reply and kv), not for publishing in bulk.
    bool send_asap = false;
};

} // namespace natty::nats
