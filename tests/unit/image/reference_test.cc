#include "image/reference.h"

#include <gtest/gtest.h>

namespace corral::image {
namespace {

TEST(Reference, NormalisesDockerHubNames) {
    auto busybox = Reference::parse("busybox");
    ASSERT_TRUE(busybox);
    EXPECT_EQ(busybox->domain, "docker.io");
    EXPECT_EQ(busybox->path, "library/busybox");
    EXPECT_EQ(busybox->tag, "latest");
    EXPECT_EQ(busybox->familiar(), "busybox:latest");
    EXPECT_EQ(busybox->string(), "docker.io/library/busybox:latest");

    auto user = Reference::parse("user/app:1.0");
    ASSERT_TRUE(user);
    EXPECT_EQ(user->name(), "docker.io/user/app");
    EXPECT_EQ(user->familiar(), "user/app:1.0");

    auto hub = Reference::parse("index.docker.io/library/alpine:3");
    ASSERT_TRUE(hub);
    EXPECT_EQ(hub->familiar(), "alpine:3");
    auto explicit_hub = Reference::parse("docker.io/library/alpine");
    ASSERT_TRUE(explicit_hub);
    EXPECT_EQ(*explicit_hub, *Reference::parse("alpine"));
}

TEST(Reference, KeepsOtherRegistriesAndPorts) {
    auto local = Reference::parse("127.0.0.1:5000/x/y:tag");
    ASSERT_TRUE(local);
    EXPECT_EQ(local->domain, "127.0.0.1:5000");
    EXPECT_EQ(local->path, "x/y");
    EXPECT_EQ(local->tag, "tag");
    EXPECT_EQ(local->familiar(), "127.0.0.1:5000/x/y:tag");
    auto localhost = Reference::parse("localhost/app");
    ASSERT_TRUE(localhost);
    EXPECT_EQ(localhost->domain, "localhost");
    EXPECT_EQ(localhost->familiar(), "localhost/app:latest");
    auto port_only = Reference::parse("localhost:5000");
    ASSERT_TRUE(port_only);  // a Docker Hub name "localhost" with tag "5000"
    EXPECT_EQ(port_only->familiar(), "localhost:5000");
}

TEST(Reference, ParsesDigests) {
    std::string digest = "sha256:" + std::string(64, 'a');
    auto pinned = Reference::parse("busybox@" + digest);
    ASSERT_TRUE(pinned);
    EXPECT_EQ(pinned->tag, "");
    EXPECT_EQ(pinned->digest, digest);
    EXPECT_EQ(pinned->familiar(), "busybox@" + digest);
    auto both = Reference::parse("busybox:1@" + digest);
    ASSERT_TRUE(both);
    EXPECT_EQ(both->tag, "1");
    EXPECT_EQ(both->string(), "docker.io/library/busybox:1@" + digest);
    EXPECT_FALSE(Reference::parse("busybox@sha256:abc"));
}

TEST(Reference, NameOnlyHasNoDefaultTag) {
    auto name = Reference::parse_name_only("busybox");
    ASSERT_TRUE(name);
    EXPECT_EQ(name->tag, "");
    EXPECT_EQ(name->familiar(), "busybox");
}

TEST(Reference, RejectsInvalidReferencesWithDockersWording) {
    for (const char* text : {"", "Busybox", "busy box", "a//b", "-x", "x:", ":tag", "x:-1", "x@",
                             "UPPER.io:x/a", "a/b/", "a..b"}) {
        auto reference = Reference::parse(text);
        ASSERT_FALSE(reference) << text;
        EXPECT_EQ(reference.error().kind(), ErrorKind::invalid_argument);
        EXPECT_NE(reference.error().message().find("invalid reference format"), std::string::npos)
            << reference.error().message();
    }
    auto upper = Reference::parse("Busybox");
    EXPECT_NE(upper.error().message().find("must be lowercase"), std::string::npos);
    auto hex = Reference::parse(std::string(64, 'b'));
    ASSERT_FALSE(hex);
    EXPECT_NE(hex.error().message().find("64-byte hexadecimal"), std::string::npos);
    EXPECT_FALSE(Reference::parse(std::string(300, 'a')));
}

TEST(Reference, AcceptsDockersSeparators) {
    for (const char* text : {"a_b", "a__b", "a---b", "a.b", "my-registry.example.com:443/a/b_c"})
        EXPECT_TRUE(Reference::parse(text)) << text;
    EXPECT_FALSE(Reference::parse("a___b"));
}

}  // namespace
}  // namespace corral::image
