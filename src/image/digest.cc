#include "image/digest.h"

#include <openssl/evp.h>

#include "base/sys.h"
#include "image/reference.h"

namespace corral::image {

struct Sha256::Context {
    EVP_MD_CTX* context = nullptr;
    ~Context() { EVP_MD_CTX_free(context); }
};

Sha256::Sha256() : context_(std::make_unique<Context>()) {
    context_->context = EVP_MD_CTX_new();
    EVP_DigestInit_ex(context_->context, EVP_sha256(), nullptr);
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, size_t size) {
    EVP_DigestUpdate(context_->context, data, size);
}

std::string Sha256::digest() {
    unsigned char raw[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(context_->context, raw, &length);
    static const char digits[] = "0123456789abcdef";
    std::string text = "sha256:";
    for (unsigned int i = 0; i < length; ++i) {
        text += digits[raw[i] >> 4];
        text += digits[raw[i] & 15];
    }
    return text;
}

std::string sha256_digest(std::string_view data) {
    Sha256 hasher;
    hasher.update(data);
    return hasher.digest();
}

ErrorOr<std::string> sha256_fd(int fd) {
    Sha256 hasher;
    char buffer[65536];
    for (;;) {
        size_t n = TRY(sys::read(fd, buffer));
        if (n == 0)
            break;
        hasher.update(buffer, n);
    }
    return hasher.digest();
}

ErrorOr<std::string> digest_hex(std::string_view digest) {
    if (!is_digest(digest))
        return Error::invalid("invalid digest `" + std::string(digest.substr(0, 100)) +
                              "`: want sha256:<64 hex digits>");
    return std::string(digest.substr(7));
}

}  // namespace corral::image
