#include "compose/interpolate.h"

#include <gtest/gtest.h>

namespace corral::compose {
namespace {

TEST(Interpolate, Forms) {
    Environment environment{{"A", "x"}, {"EMPTY", ""}};
    std::vector<std::string> missing;
    EXPECT_EQ(
        *interpolate("${A}-$A-$$A-${B:-d}-${EMPTY:-e}-${EMPTY-e}-$B-$", environment, &missing),
        "x-x-$A-d-e--"
        "-$");
    EXPECT_EQ(missing, std::vector<std::string>{"B"});
    EXPECT_EQ(*interpolate("echo $@ ${A}x", environment), "echo $@ xx");
    EXPECT_FALSE(interpolate("${A", environment));
    EXPECT_FALSE(interpolate("${}", environment));
    EXPECT_FALSE(interpolate("${A?err}", environment));
}

TEST(Interpolate, DefaultsAndRancherEnvironment) {
    config::CloudConfig config;
    config.rancher.environment["REGISTRY_DOMAIN"] = "mirror.local";
    config.rancher.environment["EXTRA"] = "1";
    Environment environment = environment_for(config);
    EXPECT_EQ(environment.at("REGISTRY_DOMAIN"), "mirror.local");
    EXPECT_EQ(environment.at("SUFFIX"), "");
    EXPECT_EQ(environment.at("EXTRA"), "1");
    EXPECT_EQ(default_environment().at("REGISTRY_DOMAIN"), "docker.io");
}

}  // namespace
}  // namespace corral::compose
