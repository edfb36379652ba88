#include "init/boot_options.h"

#include <gtest/gtest.h>

namespace corral::init {
namespace {

TEST(BootOptions, DefaultsWithoutOurKeys) {
    auto options = parse_boot_options("console=ttyS0 quiet root=/dev/sda1\n");
    EXPECT_EQ(options.state_device, "LABEL=RANCHER_STATE");
    EXPECT_TRUE(options.autoformat.empty());
    EXPECT_EQ(options.shutdown_timeout_seconds, 60);
    EXPECT_EQ(options.state_wait_seconds, 5);
    EXPECT_FALSE(options.recovery);
    EXPECT_TRUE(options.autologin.empty());
}

TEST(BootOptions, ReadsTheKeysOfTheShippedBootLoaderLine) {
    auto options = parse_boot_options(
        "console=tty0 console=ttyS0,115200n8 rancher.state.dev=LABEL=MINE "
        "rancher.state.autoformat=[/dev/sda,/dev/vda] rancher.autologin=ttyS0 quiet "
        "rancher.shutdown_timeout=7 rancher.recovery rancher.debug=true hostname=box");
    EXPECT_EQ(options.state_device, "LABEL=MINE");
    EXPECT_EQ(options.autoformat, (std::vector<std::string>{"/dev/sda", "/dev/vda"}));
    EXPECT_EQ(options.shutdown_timeout_seconds, 7);
    EXPECT_TRUE(options.recovery);
    EXPECT_TRUE(options.debug);
    EXPECT_EQ(options.autologin, (std::vector<std::string>{"ttyS0"}));
    EXPECT_EQ(options.hostname, "box");
}

TEST(BootOptions, CloudConfigHostnameFromCc) {
    EXPECT_EQ(parse_boot_options("cc.hostname=fromcc").hostname, "fromcc");
}

TEST(BootOptions, StateWaitAndNoState) {
    EXPECT_EQ(parse_boot_options("rancher.state.wait").state_wait_seconds, 30);
    EXPECT_TRUE(parse_boot_options("rancher.nostate").no_state);
    EXPECT_FALSE(parse_boot_options("rancher.recovery=false").recovery);
}

TEST(BootOptions, BadTimeoutKeepsTheDefaultAndIsReported) {
    auto options = parse_boot_options("rancher.shutdown_timeout=soon");
    EXPECT_EQ(options.shutdown_timeout_seconds, 60);
    EXPECT_FALSE(options.unknown_keys.empty());
}

}  // namespace
}  // namespace corral::init
