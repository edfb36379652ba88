// SHA-256 digests ("sha256:<hex>") computed incrementally (our own SHA-256, no libcrypto).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"

namespace corral::image {

class Sha256 {
  public:
    Sha256();
    ~Sha256();
    Sha256(Sha256&&) noexcept;
    Sha256& operator=(Sha256&&) noexcept;
    void update(const void* data, size_t size);
    void update(std::string_view data) { update(data.data(), data.size()); }
    // "sha256:<64 hex>"; the hasher cannot be updated afterwards.
    std::string digest();

  private:
    struct Context;
    std::unique_ptr<Context> context_;
};

std::string sha256_digest(std::string_view data);
// Digest of a whole file, read through `fd` from its current offset.
ErrorOr<std::string> sha256_fd(int fd);
// "<64 hex>" of "sha256:<64 hex>"; invalid_argument for anything else.
ErrorOr<std::string> digest_hex(std::string_view digest);

}  // namespace corral::image
