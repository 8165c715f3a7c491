#pragma once

#include <natty/util/duration.hpp>
#include <natty/util/url.hpp>

#include <optional>
#include <string>
#include <vector>

namespace natty::net {

// How far a raw connection attempt got; used to explain why nats.c could not connect and to
// time each phase (DNS, TCP, TLS, NATS INFO) separately.
enum class ProbeStage { dns, tcp, info, tls, done };

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
    std::vector<std::string> addresses;      // resolved addresses, "127.0.0.1"
    std::string address;                     // the one connected to
    Duration dns_time{}, tcp_time{}, info_time{}, tls_time{};
    bool tls_required = false;  // from the server's INFO
    bool tls_available = false; // from the server's INFO
    std::string server_info;    // the INFO JSON
    // Filled when a TLS handshake was made (verification does not stop the handshake):
    bool tls_attempted = false;
    bool verified = false;
    std::string verify_error; // OpenSSL's verify reason when not verified
    std::string tls_version;
    std::vector<CertificateInfo> chain; // server certificate first
};

struct ProbeOptions {
    Duration timeout = std::chrono::seconds(5);
    std::string ca_file;     // "" = system trust store
    std::string cert_file;   // client certificate, if the server wants one
    std::string key_file;
    bool force_tls = false;  // do TLS even if the server does not require it (if available)
};

// Resolves, connects, reads INFO and, if the server requires TLS (or force_tls), performs a TLS
// handshake verifying against ca_file and the URL's host name. Never throws for network errors:
// they are reported in the result.
ProbeResult probe(const ServerUrl& url, const ProbeOptions& options);

// Reads certificate details; exposed for `server tls` and tests.
CertificateInfo describe_certificate_pem(const std::string& pem);

} // namespace natty::net
