// `ros tls generate [-s] [-H host...] [-d DIR]`: TLS material for the user engine's TCP socket,
// as RancherOS made it. One CA per machine, kept in the configuration
// (rancher.docker.ca_cert/ca_key, created on first use), signs a server certificate
// (`-s`: /etc/docker/tls/{ca,server-cert,server-key}.pem, the paths of rancher.docker.tls_args,
// also saved as rancher.docker.server_cert/server_key) or a client certificate
// (~/.docker/{ca,cert,key}.pem, where the docker CLI looks with --tlsverify).
#include <arpa/inet.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>

#include "base/dynamic_library.h"
#include "base/fs.h"
#include "cli/ros.h"
#include "config/layers.h"
#include "config/store.h"

namespace corral::cli::ros {

namespace {

// libcrypto is opened on the first `ros tls` rather than linked: every other run of the corral
// binary (init, every `ros` command, the engine) would map its 4.5 MB and apply its ~21,000
// relocations for nothing (~120 page faults per exec, which emulation makes costly). The
// functions are typed by the OpenSSL 3 headers.
#define CORRAL_CRYPTO_FUNCTIONS(F) \
    F(BIO_ctrl)                    \
    F(BIO_free)                    \
    F(BIO_new)                     \
    F(BIO_new_mem_buf)             \
    F(BIO_s_mem)                   \
    F(BN_bin2bn)                   \
    F(BN_free)                     \
    F(BN_to_ASN1_INTEGER)          \
    F(ERR_clear_error)             \
    F(ERR_error_string_n)          \
    F(ERR_get_error)               \
    F(EVP_PKEY_Q_keygen)           \
    F(EVP_PKEY_free)               \
    F(EVP_sha256)                  \
    F(OBJ_nid2sn)                  \
    F(PEM_read_bio_PrivateKey)     \
    F(PEM_read_bio_X509)           \
    F(PEM_write_bio_PrivateKey)    \
    F(PEM_write_bio_X509)          \
    F(RAND_bytes)                  \
    F(X509V3_EXT_conf_nid)         \
    F(X509V3_set_ctx)              \
    F(X509_EXTENSION_free)         \
    F(X509_NAME_add_entry_by_txt)  \
    F(X509_add_ext)                \
    F(X509_check_private_key)      \
    F(X509_free)                   \
    F(X509_get_serialNumber)       \
    F(X509_get_subject_name)       \
    F(X509_getm_notAfter)          \
    F(X509_getm_notBefore)         \
    F(X509_gmtime_adj)             \
    F(X509_new)                    \
    F(X509_set_issuer_name)        \
    F(X509_set_pubkey)             \
    F(X509_set_version)            \
    F(X509_sign)

struct CryptoApi {
#define CORRAL_CRYPTO_POINTER(name) decltype(&::name) name = nullptr;
    CORRAL_CRYPTO_FUNCTIONS(CORRAL_CRYPTO_POINTER)
#undef CORRAL_CRYPTO_POINTER
};

ErrorOr<void> load_crypto(CryptoApi& api) {
    auto library = TRY(DynamicLibrary::open("libcrypto.so.3", "ros tls (certificates)",
                                            "libssl3 (on CorralOS: the boot medium)"));
#define CORRAL_CRYPTO_RESOLVE(name) TRY(library.resolve(api.name, #name));
    CORRAL_CRYPTO_FUNCTIONS(CORRAL_CRYPTO_RESOLVE)
#undef CORRAL_CRYPTO_RESOLVE
    library.keep_loaded();
    return {};
}

// Set by generate() before anything else runs.
const CryptoApi* crypto = nullptr;

struct Free {
    void operator()(EVP_PKEY* key) const { crypto->EVP_PKEY_free(key); }
    void operator()(X509* certificate) const { crypto->X509_free(certificate); }
    void operator()(BIO* bio) const { crypto->BIO_free(bio); }
    void operator()(X509_EXTENSION* extension) const { crypto->X509_EXTENSION_free(extension); }
    void operator()(BIGNUM* number) const { crypto->BN_free(number); }
};
using Key = std::unique_ptr<EVP_PKEY, Free>;
using Certificate = std::unique_ptr<X509, Free>;
using Bio = std::unique_ptr<BIO, Free>;
using Extension = std::unique_ptr<X509_EXTENSION, Free>;

constexpr long ca_days = 3650;
constexpr long leaf_days = 825;

// The oldest OpenSSL error, with what we were doing.
Error openssl_error(const std::string& what) {
    unsigned long code = crypto->ERR_get_error();
    char text[256] = "unknown error";
    if (code)
        crypto->ERR_error_string_n(code, text, sizeof(text));
    crypto->ERR_clear_error();
    return Error::internal(what + ": " + text);
}

ErrorOr<Key> new_key() {
    Key key(crypto->EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    if (!key)
        return openssl_error("generate an EC P-256 key");
    return key;
}

ErrorOr<std::string> bio_text(BIO* bio) {
    char* data = nullptr;
    long size = crypto->BIO_ctrl(bio, BIO_CTRL_INFO, 0, &data);
    if (size < 0)
        return Error::internal("read a memory BIO");
    return std::string(data, static_cast<size_t>(size));
}

ErrorOr<std::string> key_pem(EVP_PKEY* key) {
    Bio bio(crypto->BIO_new(crypto->BIO_s_mem()));
    if (!bio ||
        !crypto->PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr))
        return openssl_error("write a private key");
    return bio_text(bio.get());
}

ErrorOr<std::string> certificate_pem(X509* certificate) {
    Bio bio(crypto->BIO_new(crypto->BIO_s_mem()));
    if (!bio || !crypto->PEM_write_bio_X509(bio.get(), certificate))
        return openssl_error("write a certificate");
    return bio_text(bio.get());
}

ErrorOr<Key> read_key(const std::string& pem, const std::string& where) {
    Bio bio(crypto->BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    Key key(bio ? crypto->PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!key)
        return openssl_error(where + ": not a PEM private key");
    return key;
}

ErrorOr<Certificate> read_certificate(const std::string& pem, const std::string& where) {
    Bio bio(crypto->BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    Certificate certificate(bio ? crypto->PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)
                                : nullptr);
    if (!certificate)
        return openssl_error(where + ": not a PEM certificate");
    return certificate;
}

ErrorOr<void> add_extension(X509* certificate, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX context;
    crypto->X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
    Extension extension(crypto->X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str()));
    if (!extension || !crypto->X509_add_ext(certificate, extension.get(), -1))
        return openssl_error(std::string("certificate extension ") + crypto->OBJ_nid2sn(nid) + "=" +
                             value);
    return {};
}

// An unsigned certificate for `key` with subject CN=`name`, issued by `issuer` (by itself when
// `issuer` is null).
ErrorOr<Certificate> make_certificate(EVP_PKEY* key, const std::string& name, X509* issuer,
                                      long days) {
    Certificate certificate(crypto->X509_new());
    if (!certificate || !crypto->X509_set_version(certificate.get(), 2))
        return openssl_error("new certificate");
    unsigned char serial_bytes[16];
    if (crypto->RAND_bytes(serial_bytes, sizeof(serial_bytes)) != 1)
        return openssl_error("random serial number");
    serial_bytes[0] &= 0x7f;  // positive
    std::unique_ptr<BIGNUM, Free> serial(
        crypto->BN_bin2bn(serial_bytes, sizeof(serial_bytes), nullptr));
    if (!serial ||
        !crypto->BN_to_ASN1_INTEGER(serial.get(), crypto->X509_get_serialNumber(certificate.get())))
        return openssl_error("set the serial number");
    // Valid from an hour ago: clocks of clients differ a little.
    if (!crypto->X509_gmtime_adj(crypto->X509_getm_notBefore(certificate.get()), -3600) ||
        !crypto->X509_gmtime_adj(crypto->X509_getm_notAfter(certificate.get()), days * 86400))
        return openssl_error("set the validity");
    X509_NAME* subject = crypto->X509_get_subject_name(certificate.get());
    if (!crypto->X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_UTF8,
                                            reinterpret_cast<const unsigned char*>("CorralOS"), -1,
                                            -1, 0) ||
        !crypto->X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                            reinterpret_cast<const unsigned char*>(name.c_str()),
                                            -1, -1, 0))
        return openssl_error("set the subject");
    X509* signer = issuer ? issuer : certificate.get();
    if (!crypto->X509_set_issuer_name(certificate.get(), crypto->X509_get_subject_name(signer)) ||
        !crypto->X509_set_pubkey(certificate.get(), key))
        return openssl_error("set the issuer and key");
    TRY(add_extension(certificate.get(), signer, NID_subject_key_identifier, "hash"));
    if (issuer)
        TRY(add_extension(certificate.get(), signer, NID_authority_key_identifier, "keyid:always"));
    return certificate;
}

ErrorOr<void> sign(X509* certificate, EVP_PKEY* key) {
    if (!crypto->X509_sign(certificate, key, crypto->EVP_sha256()))
        return openssl_error("sign the certificate");
    return {};
}

struct Authority {
    Key key;
    Certificate certificate;
    std::string pem;
};

// The machine's CA from rancher.docker.ca_cert/ca_key; a new one is made and saved there when
// the configuration has none.
ErrorOr<Authority> load_or_make_authority(const Context& context) {
    config::CloudConfig config = config::load_config(context.paths()).typed();
    const auto& docker = config.rancher.docker;
    if (!docker.ca_cert.empty() && !docker.ca_key.empty()) {
        Authority authority;
        authority.key = TRY(read_key(docker.ca_key, "rancher.docker.ca_key"));
        authority.certificate = TRY(read_certificate(docker.ca_cert, "rancher.docker.ca_cert"));
        if (crypto->X509_check_private_key(authority.certificate.get(), authority.key.get()) != 1)
            return Error::invalid("rancher.docker.ca_key is not the key of rancher.docker.ca_cert");
        authority.pem = docker.ca_cert;
        return authority;
    }
    Authority authority;
    authority.key = TRY(new_key());
    authority.certificate =
        TRY(make_certificate(authority.key.get(), "CorralOS CA", nullptr, ca_days));
    TRY(add_extension(authority.certificate.get(), authority.certificate.get(),
                      NID_basic_constraints, "critical,CA:TRUE"));
    TRY(add_extension(authority.certificate.get(), authority.certificate.get(), NID_key_usage,
                      "critical,keyCertSign,cRLSign,digitalSignature"));
    TRY(sign(authority.certificate.get(), authority.key.get()));
    authority.pem = TRY(certificate_pem(authority.certificate.get()));
    std::string key_text = TRY(key_pem(authority.key.get()));
    TRY_CONTEXT(
        config::set_key(context.paths(), "rancher.docker.ca_key", config::Value::string(key_text)),
        "save the CA");
    TRY_CONTEXT(config::set_key(context.paths(), "rancher.docker.ca_cert",
                                config::Value::string(authority.pem)),
                "save the CA");
    return authority;
}

// "DNS:name" or "IP:address" for a subjectAltName entry.
ErrorOr<std::string> alt_name(const std::string& host) {
    unsigned char address[16];
    if (inet_pton(AF_INET, host.c_str(), address) == 1 ||
        inet_pton(AF_INET6, host.c_str(), address) == 1)
        return "IP:" + host;
    bool valid = !host.empty() && host.size() <= 253;
    for (char c : host) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '*'))
            valid = false;
    }
    if (!valid)
        return Error::invalid("-H " + host + ": not a host name or IP address");
    return "DNS:" + host;
}

std::string home_directory() {
    const char* home = std::getenv("HOME");
    return home && *home ? home : "/root";
}

int generate(const Context& context) {
    auto run = [&]() -> ErrorOr<std::string> {
        crypto = TRY((load_once<CryptoApi, load_crypto>()));
        std::vector<std::string> names;
        for (const auto& host : context.hosts) {
            std::string entry = TRY(alt_name(host));
            if (std::find(names.begin(), names.end(), entry) == names.end())
                names.push_back(entry);
        }
        Authority authority = TRY(load_or_make_authority(context));
        Key key = TRY(new_key());
        std::string name = context.server ? (context.hosts.empty() ? std::string("localhost")
                                                                   : context.hosts.front())
                                          : std::string("client");
        Certificate certificate =
            TRY(make_certificate(key.get(), name, authority.certificate.get(), leaf_days));
        TRY(add_extension(certificate.get(), authority.certificate.get(), NID_basic_constraints,
                          "critical,CA:FALSE"));
        TRY(add_extension(certificate.get(), authority.certificate.get(), NID_key_usage,
                          "critical,digitalSignature,keyEncipherment"));
        TRY(add_extension(certificate.get(), authority.certificate.get(), NID_ext_key_usage,
                          context.server ? "serverAuth" : "clientAuth"));
        if (context.server) {
            for (const char* always : {"DNS:localhost", "IP:127.0.0.1"}) {
                if (std::find(names.begin(), names.end(), always) == names.end())
                    names.push_back(always);
            }
            std::string list;
            for (const auto& entry : names)
                list += (list.empty() ? "" : ",") + entry;
            TRY(add_extension(certificate.get(), authority.certificate.get(), NID_subject_alt_name,
                              list));
        }
        TRY(sign(certificate.get(), authority.key.get()));
        std::string certificate_text = TRY(certificate_pem(certificate.get()));
        std::string key_text = TRY(key_pem(key.get()));

        std::string directory = context.directory;
        if (directory.empty()) {
            directory = context.server
                            ? fs::join(context.root.empty() ? "/" : context.root, "etc/docker/tls")
                            : fs::join(home_directory(), ".docker");
        }
        TRY(fs::mkdir_p(directory, 0755));
        const char* certificate_file = context.server ? "server-cert.pem" : "cert.pem";
        const char* key_file = context.server ? "server-key.pem" : "key.pem";
        // The key first: a certificate is never on disk without its key.
        TRY(fs::write_file_atomic(fs::join(directory, key_file), key_text, 0600));
        TRY(fs::write_file_atomic(fs::join(directory, certificate_file), certificate_text, 0644));
        TRY(fs::write_file_atomic(fs::join(directory, "ca.pem"), authority.pem, 0644));
        if (context.server) {
            TRY_CONTEXT(config::set_key(context.paths(), "rancher.docker.server_key",
                                        config::Value::string(key_text)),
                        "save the server key");
            TRY_CONTEXT(config::set_key(context.paths(), "rancher.docker.server_cert",
                                        config::Value::string(certificate_text)),
                        "save the server certificate");
        }
        return directory;
    };
    auto written = run();
    if (!written)
        return fail("tls generate: " + written.error().message());
    std::fprintf(stderr, "ros: tls: %s certificate written to %s\n",
                 context.server ? "server" : "client", written->c_str());
    return 0;
}

}  // namespace

void add_tls_commands(CLI::App& app, Context& context) {
    CLI::App* tls = app.add_subcommand("tls", "TLS certificates for the user engine's TCP socket");
    tls->require_subcommand(1);
    CLI::App* generate_command =
        tls->add_subcommand("generate",
                            "Make a server (-s) or client certificate signed by the machine's CA "
                            "(rancher.docker.ca_cert, made on first use)");
    generate_command->alias("gen");
    generate_command->add_flag("-s,--server", context.server,
                               "A server certificate, in /etc/docker/tls (default: a client "
                               "certificate in ~/.docker)");
    generate_command->add_option("-H,--hostname", context.hosts,
                                 "Names and addresses the server is reached by (with -s; "
                                 "localhost and 127.0.0.1 are always included)");
    generate_command->add_option("-d,--dir", context.directory,
                                 "Write the files to this directory instead");
    generate_command->callback(
        [&context] { context.action = [&context] { return generate(context); }; });
}

}  // namespace corral::cli::ros
