#include <natty/net/probe.hpp>
#include <natty/net/protocol.hpp>
#include <natty/net/socket.hpp>
#include <natty/util/time.hpp>

#include <nlohmann/json.hpp>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <string_view>

namespace natty::net {
namespace {

using Clock = std::chrono::steady_clock;

using SslCtxPtr = std::unique_ptr<SSL_CTX, Free<SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, Free<SSL_free>>;
using BioPtr = std::unique_ptr<BIO, Free<BIO_free>>;
using X509Ptr = std::unique_ptr<X509, Free<X509_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, Free<GENERAL_NAMES_free>>;

std::string seconds_text(Duration d) {
    return format_go_duration(std::chrono::duration_cast<std::chrono::milliseconds>(d));
}

// The one deadline every stage of a probe shares; remembers whether a stage ran out of time.
class Deadline {
public:
    explicit Deadline(Duration length) : m_at(Clock::now() + length), m_length(length) {}

    // Milliseconds left for poll(), rounded up so a poll that times out has reached the deadline.
    int remaining_ms() const {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(m_at - Clock::now());
        return left.count() <= 0 ? 0 : static_cast<int>(std::min<long long>(left.count(), 1 << 30));
    }
    // Records the timeout and says so: "timed out after 1s <doing>".
    std::string expired(std::string_view doing) {
        m_expired = true;
        return "timed out after " + seconds_text(m_length)
               + (doing.empty() ? std::string() : " " + std::string(doing));
    }
    bool was_expired() const { return m_expired; }

private:
    Clock::time_point m_at;
    Duration m_length;
    bool m_expired = false;
};

// Non-blocking connect bounded by the deadline; returns the socket or sets `error`.
Socket connect_one(const addrinfo* ai, Deadline& deadline, std::string& error) {
    Socket sock(
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol));
    if (sock.fd() < 0) {
        error = std::strerror(errno);
        return Socket();
    }
    if (::connect(sock.fd(), ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
        error = errno == ECONNREFUSED ? "connection refused" : std::strerror(errno);
        return Socket();
    }
    pollfd pfd{sock.fd(), POLLOUT, 0};
    int rc = 0;
    do {
        rc = ::poll(&pfd, 1, deadline.remaining_ms());
    } while (rc < 0 && errno == EINTR);
    if (rc == 0) {
        error = deadline.expired("");
        return Socket();
    }
    int so_error = 0;
    socklen_t len = sizeof so_error;
    ::getsockopt(sock.fd(), SOL_SOCKET, SO_ERROR, &so_error, &len);
    if (so_error != 0) {
        error = so_error == ECONNREFUSED ? "connection refused" : std::strerror(so_error);
        return Socket();
    }
    // CONNECT follows the TLS Finished message at once: without this, Nagle's algorithm holds it
    // until the server's delayed ACK, adding ~40 ms to the measured NATS handshake.
    const int one = 1;
    ::setsockopt(sock.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return sock;
}

// Reads the server's first protocol line ("INFO {...}\r\n").
bool read_info_line(int fd, Deadline& deadline, std::string& line, std::string& error) {
    char buf[4096];
    while (line.find("\r\n") == std::string::npos) {
        pollfd pfd{fd, POLLIN, 0};
        int rc = ::poll(&pfd, 1, deadline.remaining_ms());
        if (rc < 0 && errno == EINTR) {
            continue;
        }
        if (rc == 0) {
            error = deadline.expired(
                "waiting for the server's INFO (is it frozen, or not a NATS server?)");
            return false;
        }
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            error = n == 0 ? "the server closed the connection before sending INFO"
                           : std::string(std::strerror(errno));
            return false;
        }
        line.append(buf, static_cast<std::size_t>(n));
        if (line.size() > k_max_protocol_line) {
            error = "the server sent an oversized first line: not a NATS server?";
            return false;
        }
    }
    line.erase(line.find("\r\n"));
    return true;
}

std::string ssl_error_text() {
    std::string text;
    unsigned long code = 0;
    while ((code = ERR_get_error()) != 0) {
        char buf[256];
        ERR_error_string_n(code, buf, sizeof buf);
        text = buf; // keep the last, most specific
    }
    return text;
}

std::string name_text(const X509_NAME* name) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(len));
}

std::string time_text(const ASN1_TIME* t) {
    std::tm tm{};
    if (ASN1_TIME_to_tm(t, &tm) != 1) {
        return {};
    }
    return rfc3339_utc(std::chrono::system_clock::from_time_t(::timegm(&tm)));
}

CertificateInfo describe(X509* cert) {
    CertificateInfo info;
    info.subject = name_text(X509_get_subject_name(cert));
    info.issuer = name_text(X509_get_issuer_name(cert));
    info.not_before = time_text(X509_get0_notBefore(cert));
    info.not_after = time_text(X509_get0_notAfter(cert));
    int days = 0;
    int secs = 0;
    if (ASN1_TIME_diff(&days, &secs, nullptr, X509_get0_notAfter(cert)) == 1) {
        info.seconds_left = static_cast<long long>(days) * 86400 + secs;
    }
    GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
        if (gn->type == GEN_DNS) {
            const auto* s = gn->d.dNSName;
            info.sans.push_back(
                "DNS:"
                + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                              static_cast<std::size_t>(ASN1_STRING_length(s))));
        } else if (gn->type == GEN_IPADD) {
            const auto* s = gn->d.iPAddress;
            char buf[INET6_ADDRSTRLEN] = {};
            const int len = ASN1_STRING_length(s);
            ::inet_ntop(len == 16 ? AF_INET6 : AF_INET, ASN1_STRING_get0_data(s), buf, sizeof buf);
            info.sans.push_back(std::string("IP:") + buf);
        }
    }
    if (EVP_PKEY* key = X509_get0_pubkey(cert)) {
        const int bits = EVP_PKEY_get_bits(key);
        switch (EVP_PKEY_get_base_id(key)) {
        case EVP_PKEY_RSA:
            info.key_type = "RSA " + std::to_string(bits);
            break;
        case EVP_PKEY_EC: {
            char group[64] = {};
            std::size_t len = 0;
            EVP_PKEY_get_utf8_string_param(
                key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len);
            info.key_type = std::string("EC ") + group;
            break;
        }
        case EVP_PKEY_ED25519:
            info.key_type = "Ed25519";
            break;
        default:
            info.key_type = OBJ_nid2sn(EVP_PKEY_get_base_id(key));
            break;
        }
    }
    info.signature_algorithm = OBJ_nid2ln(X509_get_signature_nid(cert));
    if (BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr)) {
        char* hex = BN_bn2hex(bn);
        info.serial = hex;
        OPENSSL_free(hex);
        BN_free(bn);
    }
    info.is_ca = X509_check_ca(cert) > 0;
    BioPtr bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_X509(bio.get(), cert);
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    info.pem.assign(data, static_cast<std::size_t>(len));
    return info;
}

// A TLS session on the probe's socket; ssl is null when the handshake failed.
struct TlsSession {
    SslCtxPtr ctx;
    SslPtr ssl;
};

// The client context for the probe's handshake: TLS 1.2 or later, the CA (or the system's),
// the client certificate. Null, with the failure in `result`, when the CA cannot be loaded.
SslCtxPtr tls_context(const ProbeOptions& options, ProbeResult& result) {
    SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    if (!options.ca_file.empty()) {
        if (SSL_CTX_load_verify_locations(ctx.get(), options.ca_file.c_str(), nullptr) != 1) {
            result.failed_at = ProbeStage::tls;
            result.error = "cannot load CA file " + options.ca_file + ": " + ssl_error_text();
            return nullptr;
        }
    } else {
        SSL_CTX_set_default_verify_paths(ctx.get());
    }
    if (!options.cert_file.empty() && !options.key_file.empty()) {
        SSL_CTX_use_certificate_chain_file(ctx.get(), options.cert_file.c_str());
        SSL_CTX_use_PrivateKey_file(ctx.get(), options.key_file.c_str(), SSL_FILETYPE_PEM);
    }
    // Verification failures are read back after the handshake so the chain can be shown.
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
    return ctx;
}

// After a handshake: the TLS version, whether the chain verified (and why not), the chain.
void record_verification(SSL* ssl, ProbeResult& result) {
    result.tls_version = SSL_get_version(ssl);
    const long verify = SSL_get_verify_result(ssl);
    result.verified = verify == X509_V_OK;
    if (!result.verified) {
        result.verify_error = X509_verify_cert_error_string(verify);
    }
    // The chain as verified (up to the trusted CA) when it verifies, else as presented.
    STACK_OF(X509)* chain = result.verified ? SSL_get0_verified_chain(ssl) : nullptr;
    if (chain == nullptr) {
        chain = SSL_get_peer_cert_chain(ssl);
    }
    if (chain != nullptr) {
        for (int i = 0; i < sk_X509_num(chain); ++i) {
            result.chain.push_back(describe(sk_X509_value(chain, i)));
        }
    }
}

// Runs the TLS handshake on an established socket and fills the TLS fields of `result`.
TlsSession tls_handshake(int fd,
                         const ServerUrl& url,
                         const ProbeOptions& options,
                         Deadline& deadline,
                         ProbeResult& result) {
    result.tls_attempted = true;
    TlsSession session;
    ERR_clear_error();
    SslCtxPtr ctx = tls_context(options, result);
    if (!ctx) {
        return session;
    }
    SslPtr ssl(SSL_new(ctx.get()));
    SSL_set_fd(ssl.get(), fd);
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
    if (url.host_is_ip()) {
        X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str());
    } else {
        X509_VERIFY_PARAM_set1_host(param, url.host.c_str(), 0);
        // SSL_set_tlsext_host_name is a macro with a C cast; this is what it expands to.
        SSL_ctrl(ssl.get(),
                 SSL_CTRL_SET_TLSEXT_HOSTNAME,
                 TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(url.host.c_str()));
    }
    const auto start = Clock::now();
    while (true) {
        const int rc = SSL_connect(ssl.get());
        if (rc == 1) {
            break;
        }
        const int err = SSL_get_error(ssl.get(), rc);
        short events = 0;
        if (err == SSL_ERROR_WANT_READ) {
            events = POLLIN;
        } else if (err == SSL_ERROR_WANT_WRITE) {
            events = POLLOUT;
        } else {
            result.failed_at = ProbeStage::tls;
            const std::string why = ssl_error_text();
            result.error = "TLS handshake failed: "
                           + (why.empty() ? std::string("the server closed the connection") : why);
            return session;
        }
        pollfd pfd{fd, events, 0};
        if (::poll(&pfd, 1, deadline.remaining_ms()) == 0) {
            result.failed_at = ProbeStage::tls;
            result.error = deadline.expired("in the TLS handshake");
            return session;
        }
    }
    result.tls_time = Clock::now() - start;
    record_verification(ssl.get(), result);
    session.ctx = std::move(ctx);
    session.ssl = std::move(ssl);
    return session;
}

// Waits until fd is ready for `events` or the deadline passes; false on timeout.
bool wait_ready(int fd, short events, const Deadline& deadline) {
    while (true) {
        pollfd pfd{fd, events, 0};
        const int rc = ::poll(&pfd, 1, deadline.remaining_ms());
        if (rc < 0 && errno == EINTR) {
            continue;
        }
        return rc > 0;
    }
}

// Writes all of `data` through TLS when ssl is set, else the plain socket, by the deadline.
bool send_all(int fd, SSL* ssl, std::string_view data, Deadline& deadline, std::string& error) {
    while (!data.empty()) {
        short wait_for = POLLOUT;
        long n = 0;
        if (ssl != nullptr) {
            const int rc = SSL_write(ssl, data.data(), static_cast<int>(data.size()));
            if (rc > 0) {
                n = rc;
            } else {
                const int err = SSL_get_error(ssl, rc);
                if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
                    error = "TLS write failed: " + ssl_error_text();
                    return false;
                }
                wait_for = err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
            }
        } else {
            n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                error = std::strerror(errno);
                return false;
            }
        }
        if (n > 0) {
            data.remove_prefix(static_cast<std::size_t>(n));
            continue;
        }
        if (!wait_ready(fd, wait_for, deadline)) {
            error = deadline.expired("sending CONNECT");
            return false;
        }
    }
    return true;
}

// Reads one "\r\n"-terminated protocol line (buffering the rest) by the deadline.
bool receive_line(int fd,
                  SSL* ssl,
                  std::string& buffer,
                  std::string& line,
                  Deadline& deadline,
                  std::string& error) {
    char chunk[4096];
    while (buffer.find("\r\n") == std::string::npos) {
        short wait_for = POLLIN;
        long n = 0;
        if (ssl != nullptr) {
            const int rc = SSL_read(ssl, chunk, sizeof chunk);
            if (rc > 0) {
                n = rc;
            } else {
                const int err = SSL_get_error(ssl, rc);
                if (err == SSL_ERROR_ZERO_RETURN) {
                    n = -1;
                } else if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
                    n = -1;
                } else {
                    wait_for = err == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
                }
            }
        } else {
            n = ::recv(fd, chunk, sizeof chunk, 0);
            if (n == 0) {
                n = -1;
            } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
                n = 0;
            }
        }
        if (n < 0) {
            error = "the server closed the connection during the NATS handshake";
            return false;
        }
        if (n > 0) {
            buffer.append(chunk, static_cast<std::size_t>(n));
            // Without a bound, a peer streaming bytes without a CRLF kept this loop reading
            // (the deadline is checked only while waiting) and growing the buffer for ever.
            if (buffer.size() > k_max_protocol_line && buffer.find("\r\n") == std::string::npos) {
                error = "the server sent an oversized protocol line: not a NATS server?";
                return false;
            }
            continue;
        }
        if (!wait_ready(fd, wait_for, deadline)) {
            error = deadline.expired("waiting for PONG (is the server frozen?)");
            return false;
        }
    }
    const auto end = buffer.find("\r\n");
    line = buffer.substr(0, end);
    buffer.erase(0, end + 2);
    return true;
}

// Credentials in the URL win over the options', as in nats.c: "nats://user:pw@h" or
// "nats://token@h".
ProbeOptions with_url_credentials(ProbeOptions options, const ServerUrl& url) {
    if (url.has_userinfo) {
        options.user = url.user;
        options.password = url.user.empty() ? std::string() : url.password;
        options.token = url.user.empty() ? url.password : std::string();
    }
    return options;
}

// Sends CONNECT + PING and waits for PONG; a -ERR (e.g. authorization) fails the stage.
void protocol_handshake(
    int fd, SSL* ssl, const ProbeOptions& options, Deadline& deadline, ProbeResult& result) {
    nlohmann::json connect = {{"verbose", false},
                              {"pedantic", false},
                              {"tls_required", ssl != nullptr},
                              {"name", options.connection_name},
                              {"lang", "natty"},
                              {"version", "probe"},
                              {"protocol", 1},
                              {"echo", false}};
    if (!options.user.empty()) {
        connect["user"] = options.user;
        connect["pass"] = options.password;
    }
    if (!options.token.empty()) {
        connect["auth_token"] = options.token;
    }
    std::string error;
    // dump() would throw on a user, password, token or name that is not valid UTF-8; replace
    // such bytes with U+FFFD, as nats-server's JSON decoder would.
    const std::string text = connect.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (!send_all(fd, ssl, "CONNECT " + text + "\r\nPING\r\n", deadline, error)) {
        result.failed_at = ProbeStage::handshake;
        result.error = error;
        return;
    }
    std::string buffer;
    std::string line;
    while (receive_line(fd, ssl, buffer, line, deadline, error)) {
        if (line == "PONG") {
            result.handshake_done = true;
            return;
        }
        if (is_err_line(line)) {
            result.failed_at = ProbeStage::handshake;
            result.error = "the server rejected CONNECT: " + err_reason(line);
            return;
        }
        if (line == "PING" && !send_all(fd, ssl, "PONG\r\n", deadline, error)) {
            break;
        }
    }
    result.failed_at = ProbeStage::handshake;
    result.error = error;
}

} // namespace

CertificateInfo describe_certificate_pem(const std::string& pem) {
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) {
        return {};
    }
    return describe(cert.get());
}

namespace {

// The stages of probe(); each failure returns early with failed_at and error set.
void run_probe(const ServerUrl& url,
               const ProbeOptions& options,
               Deadline& deadline,
               ProbeResult& result) {
    auto start = Clock::now();
    const AddrInfoPtr addresses = resolve_tcp(url.host, url.port, result.error);
    result.dns_time = Clock::now() - start;
    if (!addresses) {
        result.failed_at = ProbeStage::dns;
        return;
    }
    for (const addrinfo* ai = addresses.get(); ai != nullptr; ai = ai->ai_next) {
        result.addresses.push_back(address_text(ai->ai_addr));
    }

    start = Clock::now();
    Socket sock;
    std::string tcp_error;
    for (const addrinfo* ai = addresses.get(); ai != nullptr && sock.fd() < 0; ai = ai->ai_next) {
        sock = connect_one(ai, deadline, tcp_error);
        if (sock.fd() >= 0) {
            result.address = address_text(ai->ai_addr);
        }
    }
    result.tcp_time = Clock::now() - start;
    if (sock.fd() < 0) {
        result.failed_at = ProbeStage::tcp;
        result.error = tcp_error;
        return;
    }

    start = Clock::now();
    std::string line;
    if (!read_info_line(sock.fd(), deadline, line, result.error)) {
        result.failed_at = ProbeStage::info;
        return;
    }
    result.info_time = Clock::now() - start;
    auto json = info_json(line);
    if (!json) {
        result.failed_at = ProbeStage::info;
        result.error = "the server did not start with INFO: not a NATS server?";
        return;
    }
    result.server_info = std::move(*json);
    result.tls_required = info_flag(result.server_info, "tls_required");
    result.tls_available = info_flag(result.server_info, "tls_available");
    TlsSession session;
    if (result.tls_required || (options.force_tls && result.tls_available)) {
        session = tls_handshake(sock.fd(), url, options, deadline, result);
    }
    if (options.protocol_handshake && result.failed_at == ProbeStage::done) {
        if (options.force_tls && !session.ssl) {
            result.failed_at = ProbeStage::tls;
            result.error = "TLS is required by this configuration but the server does not offer "
                           "it; no credentials were sent";
        } else if (session.ssl && !result.verified) {
            result.failed_at = ProbeStage::tls;
            result.error = "TLS certificate verification failed: " + result.verify_error;
        } else {
            start = Clock::now();
            protocol_handshake(
                sock.fd(), session.ssl.get(), with_url_credentials(options, url), deadline, result);
            result.handshake_time = result.info_time + (Clock::now() - start);
        }
    }
    if (session.ssl) {
        SSL_shutdown(session.ssl.get());
    }
}

} // namespace

ProbeResult probe(const ServerUrl& url, const ProbeOptions& options) {
    ProbeResult result;
    Deadline deadline(options.timeout);
    run_probe(url, options, deadline, result);
    result.timed_out = result.failed_at != ProbeStage::done && deadline.was_expired();
    return result;
}

} // namespace natty::net
