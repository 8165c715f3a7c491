#pragma once

#include <natty/util/duration.hpp>
#include <natty/util/url.hpp>

#include <optional>
#include <string>
#include <vector>

namespace natty::net {

// How far a raw connection attempt got; used to explain why nats.c could not connect and to
// time each phase (DNS, TCP, TLS, NATS INFO, NATS CONNECT/PING/PONG) separately.
enum class ProbeStage { dns, tcp, info, tls, handshake, done };

struct CertificateInfo {
    std::string subject;
    std::string issuer;
    std::vector<std::string> sans; // "DNS:localhost", "IP:127.0.0.1"
    std::string not_before;        // ISO 8601 UTC
    std::string not_after;
    long long seconds_left = 0; // negative once expired
    std::string key_type;       // "EC P-256", "RSA 2048"
    std::string signature_algorithm;
    std::string serial;
    bool is_ca = false;
    std::string pem;
};

struct ProbeResult {
    ProbeStage failed_at = ProbeStage::done; // done = every attempted stage succeeded
    std::string error;                       // why the failed stage failed
    bool timed_out = false;                  // the failed stage ran out of time (error says so)
    std::vector<std::string> addresses;      // resolved addresses, "127.0.0.1"
    std::string address;                     // the one connected to
    Duration dns_time{}, tcp_time{}, info_time{}, tls_time{};
    // INFO read plus CONNECT/PING until PONG; set when options.protocol_handshake succeeded.
    Duration handshake_time{};
    bool handshake_done = false;
    bool tls_required = false;  // from the server's INFO
    bool tls_available = false; // from the server's INFO
    std::string server_info;    // the INFO JSON
    // Filled when a TLS handshake was made (verification does not stop the handshake):
    bool tls_attempted = false;
    bool verified = false;
    std::string verify_error; // OpenSSL's verify reason when not verified
    std::string tls_version;
    // Server certificate first; as verified (ending at the trusted CA) when verified, else as
    // the server presented it.
    std::vector<CertificateInfo> chain;
};

struct ProbeOptions {
    Duration timeout = std::chrono::seconds(5);
    std::string ca_file;   // "" = system trust store
    std::string cert_file; // client certificate, if the server wants one
    std::string key_file;
    bool force_tls = false; // do TLS even if the server does not require it (if available)
    // Also run the NATS handshake: CONNECT with the credentials below, PING, wait for PONG or
    // -ERR. Credentials are never sent over TLS that failed verification, nor in plaintext when
    // force_tls is set and the server offers no TLS (the stage then fails as tls).
    bool protocol_handshake = false;
    std::string user, password, token; // credentials in the URL win over these
    std::string connection_name = "natty probe";
};

// Resolves, connects, reads INFO and, if the server requires TLS (or force_tls), performs a TLS
// handshake verifying against ca_file and the URL's host name, then optionally the NATS
// handshake. Never throws for network errors: they are reported in the result.
ProbeResult probe(const ServerUrl& url, const ProbeOptions& options);

// Reads certificate details; exposed for `server tls` and tests.
CertificateInfo describe_certificate_pem(const std::string& pem);

} // namespace natty::net
