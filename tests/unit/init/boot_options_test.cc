#include "init/boot_options.h"

#include <gtest/gtest.h>

namespace corral::init {
namespace {

TEST(BootOptions, DefaultsWithoutOurKeys) {
    auto options = parse_boot_options("console=ttyS0 quiet root=/dev/sda1\n");
    EXPECT_EQ(options.state_device, "LABEL=RANCHER_STATE");
    EXPECT_TRUE(options.autoformat.empty());
    EXPECT_EQ(options.shutdown_timeout_seconds, 60);
    EXPECT_FALSE(options.recovery);
}

TEST(BootOptions, ReadsStateAndShutdownKeys) {
    auto options = parse_boot_options(
        "console=tty0 rancher.state.dev=LABEL=MINE rancher.state.autoformat=[/dev/sda,/dev/vda] "
        "rancher.shutdown_timeout=7 rancher.recovery rancher.debug=true hostname=box");
    EXPECT_EQ(options.state_device, "LABEL=MINE");
    EXPECT_EQ(options.autoformat, (std::vector<std::string>{"/dev/sda", "/dev/vda"}));
    EXPECT_EQ(options.shutdown_timeout_seconds, 7);
    EXPECT_TRUE(options.recovery);
    EXPECT_TRUE(options.debug);
    EXPECT_EQ(options.hostname, "box");
}

TEST(BootOptions, BadNumbersKeepTheDefaultAndAreReported) {
    auto options = parse_boot_options("rancher.shutdown_timeout=soon rancher.state.wait=-3");
    EXPECT_EQ(options.shutdown_timeout_seconds, 60);
    EXPECT_EQ(options.state_wait_seconds, 5);
    EXPECT_EQ(options.unknown_keys,
              (std::vector<std::string>{"rancher.shutdown_timeout=soon", "rancher.state.wait=-3"}));
}

TEST(BootOptions, FlagsCanBeTurnedOff) {
    EXPECT_FALSE(parse_boot_options("rancher.recovery=false").recovery);
    EXPECT_TRUE(parse_boot_options("rancher.nostate").no_state);
}

TEST(CommandLine, QuotesGroupWords) {
    auto words = split_command_line("a=\"x y\" b  \"c=d e\"\n");
    ASSERT_EQ(words.size(), 3u);
    EXPECT_EQ(words[0].key, "a");
    EXPECT_EQ(words[0].value, "x y");
    EXPECT_EQ(words[1].key, "b");
    EXPECT_FALSE(words[1].has_value);
    EXPECT_EQ(words[2].key, "c");
    EXPECT_EQ(words[2].value, "d e");
}

TEST(CommandLine, EmptyValueIsAValue) {
    auto words = split_command_line("k=");
    ASSERT_EQ(words.size(), 1u);
    EXPECT_TRUE(words[0].has_value);
    EXPECT_EQ(words[0].value, "");
}

TEST(ListValue, Forms) {
    EXPECT_EQ(parse_list_value("[/dev/sda, /dev/vda]"),
              (std::vector<std::string>{"/dev/sda", "/dev/vda"}));
    EXPECT_EQ(parse_list_value("/dev/sda"), (std::vector<std::string>{"/dev/sda"}));
    EXPECT_TRUE(parse_list_value("[]").empty());
    EXPECT_EQ(parse_list_value("a,,b"), (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace corral::init
