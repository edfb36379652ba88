#include "image/digest.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#include "base/sys.h"
#include "image/reference.h"

namespace corral::image {

// SHA-256 as FIPS 180-4 defines it. Our own: OpenSSL 3 builds its provider tables on the first
// digest (megabytes that stay resident in an engine that otherwise idles), and the engine needs
// no other part of libcrypto.
namespace {

constexpr std::array<uint32_t, 64> round_constants = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

constexpr std::array<uint32_t, 8> initial_state = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

inline uint32_t rotate_right(uint32_t value, int bits) {
    return (value >> bits) | (value << (32 - bits));
}

inline uint32_t load_big_endian(const unsigned char* bytes) {
    return static_cast<uint32_t>(bytes[0]) << 24 | static_cast<uint32_t>(bytes[1]) << 16 |
           static_cast<uint32_t>(bytes[2]) << 8 | static_cast<uint32_t>(bytes[3]);
}

void compress(std::array<uint32_t, 8>& state, const unsigned char* block) {
    uint32_t schedule[64];
    for (int i = 0; i < 16; ++i)
        schedule[i] = load_big_endian(block + 4 * i);
    for (int i = 16; i < 64; ++i) {
        uint32_t s0 = rotate_right(schedule[i - 15], 7) ^ rotate_right(schedule[i - 15], 18) ^
                      (schedule[i - 15] >> 3);
        uint32_t s1 = rotate_right(schedule[i - 2], 17) ^ rotate_right(schedule[i - 2], 19) ^
                      (schedule[i - 2] >> 10);
        schedule[i] = schedule[i - 16] + s0 + schedule[i - 7] + s1;
    }
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    for (int i = 0; i < 64; ++i) {
        uint32_t sum1 = rotate_right(e, 6) ^ rotate_right(e, 11) ^ rotate_right(e, 25);
        uint32_t choose = (e & f) ^ (~e & g);
        uint32_t first = h + sum1 + choose + round_constants[i] + schedule[i];
        uint32_t sum0 = rotate_right(a, 2) ^ rotate_right(a, 13) ^ rotate_right(a, 22);
        uint32_t majority = (a & b) ^ (a & c) ^ (b & c);
        uint32_t second = sum0 + majority;
        h = g;
        g = f;
        f = e;
        e = d + first;
        d = c;
        c = b;
        b = a;
        a = first + second;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
}

}  // namespace

struct Sha256::Context {
    std::array<uint32_t, 8> state = initial_state;
    unsigned char block[64] = {};
    size_t block_used = 0;
    uint64_t total_bytes = 0;
};

Sha256::Sha256() : context_(std::make_unique<Context>()) {}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, size_t size) {
    auto& context = *context_;
    const auto* bytes = static_cast<const unsigned char*>(data);
    context.total_bytes += size;
    if (context.block_used > 0) {
        size_t take = std::min(size, sizeof(context.block) - context.block_used);
        std::memcpy(context.block + context.block_used, bytes, take);
        context.block_used += take;
        bytes += take;
        size -= take;
        if (context.block_used < sizeof(context.block))
            return;
        compress(context.state, context.block);
        context.block_used = 0;
    }
    for (; size >= 64; bytes += 64, size -= 64)
        compress(context.state, bytes);
    std::memcpy(context.block, bytes, size);
    context.block_used = size;
}

std::string Sha256::digest() {
    auto& context = *context_;
    uint64_t total_bits = context.total_bytes * 8;
    // 0x80, zeros up to 56 bytes into a block, then the length in bits, big-endian.
    unsigned char padding[72] = {0x80};
    size_t padding_size = (context.block_used < 56 ? 56 : 120) - context.block_used;
    unsigned char length[8];
    for (int i = 0; i < 8; ++i)
        length[i] = static_cast<unsigned char>(total_bits >> (56 - 8 * i));
    update(padding, padding_size);
    update(length, sizeof(length));
    static const char digits[] = "0123456789abcdef";
    std::string text = "sha256:";
    for (uint32_t word : context.state) {
        for (int shift = 28; shift >= 0; shift -= 4)
            text += digits[(word >> shift) & 15];
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
