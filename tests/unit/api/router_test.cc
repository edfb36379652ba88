#include "api/router.h"

#include <gtest/gtest.h>

namespace corral::api {
namespace {

Handler named(std::string name, std::string& called) {
    return [name, &called](Exchange&) -> ErrorOr<void> {
        called = name;
        return {};
    };
}

class RouterTest : public ::testing::Test {
  protected:
    void SetUp() override {
        router.add("GET", "/containers/json", named("list", called));
        router.add("GET", "/containers/{id}/json", named("inspect", called));
        router.add("DELETE", "/containers/{id}", named("remove", called));
        router.add("GET", "/images/{name*}/json", named("image", called));
        router.add("POST", "/images/{name*}/tag", named("tag", called));
        router.add("GET", "/_ping", named("ping", called));
    }
    Router router;
    std::string called;
};

TEST_F(RouterTest, MatchesLiteralPath) {
    auto match = router.match("GET", "/containers/json");
    ASSERT_NE(match.route, nullptr);
    EXPECT_EQ(match.route->pattern, "/containers/json");
    EXPECT_TRUE(match.params.empty());
}

TEST_F(RouterTest, CapturesOneSegment) {
    auto match = router.match("GET", "/containers/abc/json");
    ASSERT_NE(match.route, nullptr);
    EXPECT_EQ(match.route->pattern, "/containers/{id}/json");
    EXPECT_EQ(match.params.at("id"), "abc");
}

TEST_F(RouterTest, GreedyCaptureTakesSlashes) {
    auto match = router.match("GET", "/images/127.0.0.1:5000/team/app:1/json");
    ASSERT_NE(match.route, nullptr);
    EXPECT_EQ(match.params.at("name"), "127.0.0.1:5000/team/app:1");
    auto tag = router.match("POST", "/images/busybox/tag");
    ASSERT_NE(tag.route, nullptr);
    EXPECT_EQ(tag.params.at("name"), "busybox");
}

TEST_F(RouterTest, WrongMethodIsReportedAsOtherMethod) {
    auto match = router.match("POST", "/containers/json");
    EXPECT_EQ(match.route, nullptr);
    EXPECT_TRUE(match.other_method);
}

TEST_F(RouterTest, UnknownPathIsNotFound) {
    auto match = router.match("GET", "/nope");
    EXPECT_EQ(match.route, nullptr);
    EXPECT_FALSE(match.other_method);
    EXPECT_EQ(router.match("GET", "/containers/a/b/json").route, nullptr);
    EXPECT_EQ(router.match("GET", "/").route, nullptr);
}

TEST_F(RouterTest, HeadFallsBackToGet) {
    auto match = router.match("HEAD", "/containers/x/json");
    ASSERT_NE(match.route, nullptr);
    EXPECT_EQ(match.route->method, "GET");
    EXPECT_EQ(match.params.at("id"), "x");
}

TEST_F(RouterTest, EmptySegmentsAreIgnored) {
    auto match = router.match("GET", "//containers//json");
    ASSERT_NE(match.route, nullptr);
    EXPECT_EQ(match.route->pattern, "/containers/json");
}

TEST(SplitVersion, StripsVersionPrefix) {
    EXPECT_EQ(split_version("/v1.41/containers/json"),
              (std::pair<std::string, std::string>{"1.41", "/containers/json"}));
    EXPECT_EQ(split_version("/v1.41"), (std::pair<std::string, std::string>{"1.41", "/"}));
    EXPECT_EQ(split_version("/containers/json"),
              (std::pair<std::string, std::string>{"", "/containers/json"}));
    // Not a version: "/volumes" starts with "/v".
    EXPECT_EQ(split_version("/volumes/x"), (std::pair<std::string, std::string>{"", "/volumes/x"}));
    EXPECT_EQ(split_version("/v1/x"), (std::pair<std::string, std::string>{"", "/v1/x"}));
}

TEST(CompareVersions, ComparesNumerically) {
    EXPECT_EQ(compare_versions("1.41", "1.41").value(), 0);
    EXPECT_EQ(compare_versions("1.9", "1.41").value(), -1);
    EXPECT_EQ(compare_versions("1.50", "1.41").value(), 1);
    EXPECT_EQ(compare_versions("2", "1.41").value(), 1);
    EXPECT_EQ(compare_versions("1.41.0", "1.41").value(), 0);
    EXPECT_TRUE(compare_versions("1..2", "1.41").is_error());
    EXPECT_TRUE(compare_versions("x", "1.41").is_error());
    EXPECT_TRUE(compare_versions("", "1.41").is_error());
}

}  // namespace
}  // namespace corral::api
