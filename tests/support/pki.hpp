#pragma once

#include <filesystem>

namespace natty::test {

// A throwaway certificate authority and leaf certificates for TLS tests, written as PEM files.
struct Pki {
    // Self-signed CA (CN "natty test CA") that signs every leaf below except other_ca.
    std::filesystem::path ca_cert, ca_key;
    // CN localhost, SANs DNS:localhost, IP:127.0.0.1, IP:::1, serverAuth, valid 30 days.
    std::filesystem::path server_cert, server_key;
    // An unrelated self-signed CA (CN "natty other CA") for wrong-CA tests.
    std::filesystem::path other_ca_cert, other_ca_key;
    // Signed by ca but only for DNS:other.example, so hostname verification fails.
    std::filesystem::path wrong_host_cert, wrong_host_key;
    // Signed by ca for DNS:localhost only: reached as 127.0.0.1 it fails with an IP mismatch.
    std::filesystem::path dns_only_cert, dns_only_key;
    // Signed by ca with correct SANs, notBefore now-10d, notAfter now-1d.
    std::filesystem::path expired_cert, expired_key;
    // Signed by ca with correct SANs, expiring in 5 days, for expiry warnings.
    std::filesystem::path short_cert, short_key;
    // CN "natty client", clientAuth, signed by ca, for mutual TLS.
    std::filesystem::path client_cert, client_key;

    // Generates every key (EC P-256) and certificate with libcrypto into dir (created if needed).
    static Pki create(const std::filesystem::path& dir);
};

} // namespace natty::test
