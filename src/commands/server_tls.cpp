// `server tls`: the server's certificate chain, whether it verifies, and when it expires.

#include "server_check.hpp"

#include <natty/commands/server.hpp>
#include <natty/context/connect.hpp>
#include <natty/net/probe.hpp>
#include <natty/output/output.hpp>

#include <nlohmann/json.hpp>

namespace natty {
namespace {

// Probes `url` for its TLS handshake only; throws when the server cannot be reached, offers no
// TLS, or the handshake failed before a certificate was seen.
net::ProbeResult probe_tls(const Settings& settings, const ServerUrl& url) {
    net::ProbeOptions probing = probe_options(settings);
    probing.force_tls = true;
    probing.protocol_handshake = false;
    auto probe = net::probe(url, probing);
    const std::string target = url.redacted();
    if (probe.failed_at != net::ProbeStage::done && probe.failed_at != net::ProbeStage::tls) {
        throw Error(ExitCode::connect,
                    "cannot reach " + target + ": " + probe.error,
                    "is the server running and the URL right?");
    }
    if (!probe.tls_attempted) {
        throw Error(ExitCode::tls,
                    target + " does not offer TLS (no tls block in its config)",
                    "point --server at the server's TLS port");
    }
    if (probe.failed_at == net::ProbeStage::tls && probe.chain.empty()) {
        throw Error(ExitCode::tls, "TLS handshake with " + target + " failed: " + probe.error);
    }
    return probe;
}

void print_chain_json(Io& io,
                      const net::ProbeResult& probe,
                      const std::string& target,
                      const std::string& trust) {
    nlohmann::json chain = nlohmann::json::array();
    for (const auto& cert : probe.chain) {
        chain.push_back({{"subject", cert.subject},
                         {"issuer", cert.issuer},
                         {"sans", cert.sans},
                         {"not_before", cert.not_before},
                         {"not_after", cert.not_after},
                         {"seconds_left", cert.seconds_left},
                         {"days_left", cert.seconds_left / 86400},
                         {"key_type", cert.key_type},
                         {"signature_algorithm", cert.signature_algorithm},
                         {"serial", cert.serial},
                         {"is_ca", cert.is_ca}});
    }
    output::write_json(io,
                       {{"url", target},
                        {"address", probe.address},
                        {"tls_version", probe.tls_version},
                        {"verified", probe.verified},
                        {"verify_error", probe.verify_error},
                        {"trust", trust},
                        {"chain", chain}});
}

void print_chain_text(Io& io,
                      const net::ProbeResult& probe,
                      const std::string& target,
                      const std::string& trust) {
    io.out << "TLS connection to " << target << " (" << probe.address << "), " << probe.tls_version
           << "\n";
    io.out << "Verification against " << trust << ": "
           << (probe.verified ? std::string("OK") : "FAILED: " + probe.verify_error) << "\n";
    int index = 0;
    for (const auto& cert : probe.chain) {
        ++index;
        io.out << "\nCertificate " << index
               << (index == 1   ? " (server)"
                   : cert.is_ca ? " (CA)"
                                : "")
               << "\n\n";
        output::Columns columns;
        columns.add("Subject", cert.subject);
        columns.add("Issuer", cert.issuer);
        std::string sans;
        for (const auto& san : cert.sans) {
            sans += (sans.empty() ? "" : ", ") + san;
        }
        columns.add("SANs", sans.empty() ? "(none)" : sans);
        columns.add("Not before", cert.not_before);
        columns.add("Not after", cert.not_after);
        columns.add("Days left", std::to_string(cert.seconds_left / 86400));
        columns.add("Key type", cert.key_type);
        columns.add("Signature", cert.signature_algorithm);
        columns.add("Serial", cert.serial);
        columns.add("CA", cert.is_ca ? "yes" : "no");
        columns.render(io);
    }
    io.flush_out();
}

} // namespace

void run_server_tls(const ServerTlsOptions& options, Runtime& runtime) {
    std::optional<Duration> expire_warn;
    if (!options.expire_warn.empty()) {
        expire_warn = parse_duration(options.expire_warn, "--expire-warn");
    }
    if (options.pem && options.json) {
        throw UsageError("--pem and --json cannot be combined", "choose one output form");
    }
    const Settings& settings = runtime.settings();
    const ServerUrl url = settings.servers().front();
    const auto probe = probe_tls(settings, url);
    const std::string target = url.redacted();
    const std::string trust =
        settings.values.ca.empty() ? "the system trust store" : "CA " + settings.values.ca;
    Io& io = runtime.io();
    if (options.pem) {
        for (const auto& cert : probe.chain) {
            io.out << cert.pem;
        }
        io.flush_out();
    } else if (options.json) {
        print_chain_json(io, probe, target, trust);
    } else {
        print_chain_text(io, probe, target, trust);
    }
    if (!probe.verified) {
        throw Error(ExitCode::tls,
                    "the certificate of " + target + " does not verify against " + trust + ": "
                        + probe.verify_error,
                    settings.values.ca.empty() ? "pass the CA that signed it with --tlsca FILE"
                                               : "check --tlsca and the URL's host name");
    }
    if (expire_warn && !probe.chain.empty()) {
        const auto left = std::chrono::seconds(probe.chain.front().seconds_left);
        if (left <= *expire_warn) {
            throw Error(ExitCode::failure,
                        "the certificate of " + target + " expires in "
                            + server_check::days_text(probe.chain.front().seconds_left)
                            + ", within --expire-warn " + options.expire_warn,
                        "renew the server certificate");
        }
    }
}

} // namespace natty
