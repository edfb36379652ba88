#include "image/digest.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>

namespace corral::image {
namespace {

// Expected values from FIPS 180-4's examples and Python's hashlib.
TEST(Sha256, KnownVectors) {
    EXPECT_EQ(sha256_digest(""),
              "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_digest("abc"),
              "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256_digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    EXPECT_EQ(sha256_digest(std::string(1000000, 'a')),
              "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// Lengths around the padding boundaries (55/56 bytes left in the last block, whole blocks).
TEST(Sha256, PaddingBoundaries) {
    const std::pair<size_t, const char*> cases[] = {
        {55, "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072"},
        {56, "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e"},
        {63, "75220b47218278e656f2013bb8f0c455a25eaf01e86c64924e9d48d89776d6f2"},
        {64, "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c"},
        {65, "9537c5fdf120482f7d58d25e9ed583f52c02b4e304ea814db1633ad565aed7e9"},
        {119, "000b48d4edf0fa7bee3c6236ecd2785baa5db4eeb8bb54341b029e0d9fa5fb0c"},
        {120, "13f05a0b594787f5ecd315edc96141bd3243203d1b7d4f0836f37308b276ba98"},
    };
    for (const auto& [size, hex] : cases)
        EXPECT_EQ(sha256_digest(std::string(size, 'x')), std::string("sha256:") + hex) << size;
}

std::string pattern() {
    std::string data;
    for (int round = 0; round < 300; ++round)
        for (int byte = 0; byte < 256; ++byte)
            data += static_cast<char>(byte);
    return data;
}

constexpr const char* pattern_digest =
    "sha256:f8b0585eb91f58c007a5634362c9f90d8543822c113f702523bc7b73408a9392";

// Any split of the input into updates gives the digest of the whole.
TEST(Sha256, IncrementalUpdatesMatchOneShot) {
    std::string data = pattern();
    ASSERT_EQ(sha256_digest(data), pattern_digest);
    for (size_t chunk : {1, 3, 63, 64, 65, 1000, 4096}) {
        Sha256 hasher;
        for (size_t offset = 0; offset < data.size(); offset += chunk)
            hasher.update(std::string_view(data).substr(offset, chunk));
        EXPECT_EQ(hasher.digest(), pattern_digest) << "chunk " << chunk;
    }
}

TEST(Sha256, FileDigestFromDescriptor) {
    int fd = ::memfd_create("digest-test", MFD_CLOEXEC);
    ASSERT_GE(fd, 0);
    std::string data = pattern();
    ASSERT_EQ(::write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
    ASSERT_EQ(::lseek(fd, 0, SEEK_SET), 0);
    auto digest = sha256_fd(fd);
    ::close(fd);
    ASSERT_TRUE(digest) << digest.error().message();
    EXPECT_EQ(*digest, pattern_digest);
}

}  // namespace
}  // namespace corral::image
