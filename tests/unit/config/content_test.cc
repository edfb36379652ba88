#include "config/content.h"

#include <gtest/gtest.h>

namespace corral::config {
namespace {

TEST(Content, Base64) {
    EXPECT_EQ(*base64_decode("aGVsbG8gd29ybGQK"), "hello world\n");
    EXPECT_EQ(*base64_decode("aGVs\nbG8="), "hello");
    EXPECT_FALSE(base64_decode("a*b"));
}

TEST(Content, GzipAndCombinations) {
    // printf 'hello\n' | gzip -n | base64
    std::string b64 = "H4sIAAAAAAAAA8tIzcnJ5wIAIDA6NgYAAAA=";
    EXPECT_EQ(*decode_content(b64, "gz+b64"), "hello\n");
    EXPECT_EQ(*decode_content(b64, "gzip+base64"), "hello\n");
    EXPECT_EQ(*decode_content(*base64_decode(b64), "gzip"), "hello\n");
    EXPECT_EQ(*decode_content("plain", ""), "plain");
    EXPECT_FALSE(decode_content("not gzip", "gz"));
    EXPECT_FALSE(decode_content("x", "rot13"));
    // Truncated stream.
    std::string data = *base64_decode(b64);
    EXPECT_FALSE(gunzip(data.substr(0, data.size() / 2)));
}

TEST(Content, Permissions) {
    EXPECT_EQ(*parse_permissions(""), 0644u);
    EXPECT_EQ(*parse_permissions("0755"), 0755u);
    EXPECT_EQ(*parse_permissions("600"), 0600u);
    EXPECT_FALSE(parse_permissions("0789"));
    EXPECT_FALSE(parse_permissions("777777"));
}

}  // namespace
}  // namespace corral::config
