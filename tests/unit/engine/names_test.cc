#include "engine/names.h"

#include <gtest/gtest.h>

#include <set>

#include "engine/signals.h"

namespace corral::engine {
namespace {

TEST(Names, GeneratedIdsAreHexAndDistinct) {
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
        auto id = generate_id();
        EXPECT_TRUE(is_full_id(id)) << id;
        EXPECT_TRUE(seen.insert(id).second);
    }
    EXPECT_FALSE(is_full_id("abc"));
    EXPECT_FALSE(is_full_id(std::string(64, 'g')));
}

TEST(Names, Validation) {
    EXPECT_EQ(*validate_name("/web.1"), "web.1");
    EXPECT_EQ(*validate_name("a_b-c.d"), "a_b-c.d");
    EXPECT_TRUE(validate_name("a").is_error());  // at least two characters
    EXPECT_TRUE(validate_name("_leading").is_error());
    EXPECT_TRUE(validate_name("has space").is_error());
    EXPECT_TRUE(validate_name("sl/ash").is_error());
    EXPECT_TRUE(validate_name(std::string(max_name_length + 1, 'x')).is_error());
    auto error = validate_name("-x");
    ASSERT_TRUE(error.is_error());
    EXPECT_EQ(error.error().message(),
              "Invalid container name (-x), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
}

TEST(Names, GeneratedNamesAreValidAndAvoidTakenOnes) {
    std::set<std::string> taken;
    for (int i = 0; i < 2000; ++i) {
        auto name = generate_name([&](const std::string& n) { return taken.count(n) > 0; });
        EXPECT_FALSE(validate_name(name).is_error()) << name;
        EXPECT_NE(name.find('_'), std::string::npos);
        EXPECT_TRUE(taken.insert(name).second) << name;
    }
}

TEST(Signals, NamesAndNumbers) {
    EXPECT_EQ(*parse_signal("SIGKILL"), 9);
    EXPECT_EQ(*parse_signal("KILL"), 9);
    EXPECT_EQ(*parse_signal("kill"), 9);
    EXPECT_EQ(*parse_signal("9"), 9);
    EXPECT_EQ(*parse_signal("SIGTERM"), 15);
    EXPECT_EQ(*parse_signal("hup"), 1);
    EXPECT_EQ(*parse_signal("SIGRTMIN+2"), SIGRTMIN + 2);
    EXPECT_EQ(*parse_signal("RTMAX-1"), SIGRTMAX - 1);
    EXPECT_TRUE(parse_signal("0").is_error());
    EXPECT_TRUE(parse_signal("SIGNOPE").is_error());
    EXPECT_TRUE(parse_signal("999").is_error());
    EXPECT_TRUE(parse_signal("").is_error());
    EXPECT_TRUE(parse_signal("RTMIN+100").is_error());
}

}  // namespace
}  // namespace corral::engine
