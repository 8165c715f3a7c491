#include "pki.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace natty::test {
namespace {

// Lets unique_ptr own any OpenSSL object whose free function is known at compile time.
template <auto FreeFn>
struct OpensslDeleter {
    template <class T>
    void operator()(T* object) const noexcept {
        FreeFn(object);
    }
};

using PkeyPtr = std::unique_ptr<EVP_PKEY, OpensslDeleter<&EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OpensslDeleter<&EVP_PKEY_CTX_free>>;
using X509Ptr = std::unique_ptr<X509, OpensslDeleter<&X509_free>>;
using X509ExtPtr = std::unique_ptr<X509_EXTENSION, OpensslDeleter<&X509_EXTENSION_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, OpensslDeleter<&BN_free>>;
using BioPtr = std::unique_ptr<BIO, OpensslDeleter<&BIO_free_all>>;

constexpr long hour = 60L * 60L;
constexpr long day = 24L * hour;

// Drains the OpenSSL error queue into the exception text so failures explain themselves.
[[noreturn]] void throw_openssl(const std::string& what) {
    std::string message = "pki: " + what;
    for (unsigned long code = ERR_get_error(); code != 0; code = ERR_get_error()) {
        char buffer[256];
        ERR_error_string_n(code, buffer, sizeof buffer);
        message += ": ";
        message += buffer;
    }
    throw std::runtime_error(message);
}

// Makes a fresh EC P-256 key pair.
PkeyPtr generate_key() {
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0 ||
        EVP_PKEY_CTX_set_group_name(ctx.get(), "P-256") <= 0) {
        throw_openssl("cannot set up EC key generation");
    }
    EVP_PKEY* raw = nullptr;
    if (EVP_PKEY_generate(ctx.get(), &raw) <= 0) {
        throw_openssl("EC key generation failed");
    }
    return PkeyPtr(raw);
}

// What distinguishes one certificate from another; times are offsets from now in seconds.
struct CertSpec {
    std::string common_name;
    bool is_ca = false;
    std::string subject_alt_names; // X509v3 config syntax, empty for none
    std::string extended_key_usage; // empty for none
    long not_before = -hour;
    long not_after = 30 * day;
};

void add_name_entry(X509_NAME* name, const char* field, const std::string& value) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(value.c_str());
    if (X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, bytes, -1, -1, 0) != 1) {
        throw_openssl(std::string("cannot set subject ") + field);
    }
}

void add_extension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
    X509ExtPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str()));
    if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
        throw_openssl(std::string("cannot add extension ") + OBJ_nid2sn(nid) + "=" + value);
    }
}

// Builds and signs one certificate; a null issuer means self-signed with the subject's key.
X509Ptr make_cert(const CertSpec& spec, EVP_PKEY* subject_key, X509* issuer_cert,
                  EVP_PKEY* issuer_key) {
    X509Ptr cert(X509_new());
    if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
        throw_openssl("cannot create certificate");
    }

    BignumPtr serial(BN_new());
    if (!serial || BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
        BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
        throw_openssl("cannot set serial number");
    }

    if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), spec.not_before) == nullptr ||
        X509_gmtime_adj(X509_getm_notAfter(cert.get()), spec.not_after) == nullptr) {
        throw_openssl("cannot set validity");
    }

    X509_NAME* subject = X509_get_subject_name(cert.get());
    add_name_entry(subject, "O", "natty tests");
    add_name_entry(subject, "CN", spec.common_name);
    X509* issuer = issuer_cert != nullptr ? issuer_cert : cert.get();
    if (X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer)) != 1 ||
        X509_set_pubkey(cert.get(), subject_key) != 1) {
        throw_openssl("cannot set issuer or public key");
    }

    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert.get(), nullptr, nullptr, 0);
    if (spec.is_ca) {
        add_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE");
        add_extension(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
        add_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash");
    } else {
        add_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE");
        add_extension(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature");
        add_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash");
        add_extension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always");
    }
    if (!spec.extended_key_usage.empty()) {
        add_extension(cert.get(), &ctx, NID_ext_key_usage, spec.extended_key_usage);
    }
    if (!spec.subject_alt_names.empty()) {
        add_extension(cert.get(), &ctx, NID_subject_alt_name, spec.subject_alt_names);
    }

    EVP_PKEY* signing_key = issuer_key != nullptr ? issuer_key : subject_key;
    if (X509_sign(cert.get(), signing_key, EVP_sha256()) <= 0) {
        throw_openssl("cannot sign certificate " + spec.common_name);
    }
    return cert;
}

// Opens path for writing with the given mode (also when it already exists) as a BIO.
BioPtr open_output(const std::filesystem::path& path, mode_t mode) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0 || ::fchmod(fd, mode) != 0) {
        const std::string reason = std::strerror(errno);
        if (fd >= 0) {
            ::close(fd);
        }
        throw std::runtime_error("pki: cannot write " + path.string() + ": " + reason);
    }
    BioPtr bio(BIO_new_fd(fd, BIO_CLOSE));
    if (!bio) {
        ::close(fd);
        throw_openssl("cannot wrap " + path.string());
    }
    return bio;
}

void write_key(const std::filesystem::path& path, EVP_PKEY* key) {
    BioPtr bio = open_output(path, 0600);
    if (PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
        BIO_flush(bio.get()) != 1) {
        throw_openssl("cannot write key " + path.string());
    }
}

void write_cert(const std::filesystem::path& path, X509* cert) {
    BioPtr bio = open_output(path, 0644);
    if (PEM_write_bio_X509(bio.get(), cert) != 1 || BIO_flush(bio.get()) != 1) {
        throw_openssl("cannot write certificate " + path.string());
    }
}

// A key and certificate pair kept in memory so it can sign further certificates.
struct Issued {
    PkeyPtr key;
    X509Ptr cert;
};

Issued issue(const CertSpec& spec, const Issued* issuer, const std::filesystem::path& cert_path,
             const std::filesystem::path& key_path) {
    Issued result{generate_key(), nullptr};
    X509* issuer_cert = issuer != nullptr ? issuer->cert.get() : nullptr;
    EVP_PKEY* issuer_key = issuer != nullptr ? issuer->key.get() : nullptr;
    result.cert = make_cert(spec, result.key.get(), issuer_cert, issuer_key);
    write_key(key_path, result.key.get());
    write_cert(cert_path, result.cert.get());
    return result;
}

} // namespace

Pki Pki::create(const std::filesystem::path& dir) {
    std::filesystem::create_directories(dir);
    ERR_clear_error();

    Pki pki;
    const auto paths = [&dir](const std::string& stem, std::filesystem::path& cert,
                              std::filesystem::path& key) {
        cert = dir / (stem + "-cert.pem");
        key = dir / (stem + "-key.pem");
    };
    paths("ca", pki.ca_cert, pki.ca_key);
    paths("server", pki.server_cert, pki.server_key);
    paths("other-ca", pki.other_ca_cert, pki.other_ca_key);
    paths("wrong-host", pki.wrong_host_cert, pki.wrong_host_key);
    paths("dns-only", pki.dns_only_cert, pki.dns_only_key);
    paths("expired", pki.expired_cert, pki.expired_key);
    paths("short", pki.short_cert, pki.short_key);
    paths("client", pki.client_cert, pki.client_key);

    const std::string server_sans = "DNS:localhost,IP:127.0.0.1,IP:::1";
    const std::string server_auth = "serverAuth";

    CertSpec ca_spec{"natty test CA", true, "", "", -hour, 3650 * day};
    const Issued ca = issue(ca_spec, nullptr, pki.ca_cert, pki.ca_key);

    CertSpec other_spec{"natty other CA", true, "", "", -hour, 3650 * day};
    issue(other_spec, nullptr, pki.other_ca_cert, pki.other_ca_key);

    issue({"localhost", false, server_sans, server_auth, -hour, 30 * day}, &ca, pki.server_cert,
          pki.server_key);
    issue({"other.example", false, "DNS:other.example", server_auth, -hour, 30 * day}, &ca,
          pki.wrong_host_cert, pki.wrong_host_key);
    issue({"localhost", false, "DNS:localhost", server_auth, -hour, 30 * day}, &ca,
          pki.dns_only_cert, pki.dns_only_key);
    issue({"localhost", false, server_sans, server_auth, -10 * day, -day}, &ca, pki.expired_cert,
          pki.expired_key);
    issue({"localhost", false, server_sans, server_auth, -hour, 5 * day}, &ca, pki.short_cert,
          pki.short_key);
    issue({"natty client", false, "", "clientAuth", -hour, 30 * day}, &ca, pki.client_cert,
          pki.client_key);
    return pki;
}

} // namespace natty::test
