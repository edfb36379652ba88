#include "config/cmdline.h"

#include <gtest/gtest.h>

#include "config/model.h"
#include "config/schema.h"
#include "config/tree.h"

namespace corral::config {
namespace {

TEST(Cmdline, SplitsOnSpacesButNotInsideQuotesOrBrackets) {
    auto words = split_kernel_cmdline(
        "console=ttyS0 rancher.a=\"x y\" rancher.b=[1, 2] 'rancher.c=p q'  quiet\n");
    ASSERT_EQ(words.size(), 5u);
    EXPECT_EQ(words[1], "rancher.a=\"x y\"");
    EXPECT_EQ(words[2], "rancher.b=[1, 2]");
    EXPECT_EQ(words[3], "'rancher.c=p q'");
    EXPECT_EQ(words[4], "quiet");
}

TEST(Cmdline, DottedKeysWithTypedValues) {
    auto parsed = parse_kernel_cmdline(
        "BOOT_IMAGE=/vmlinuz quiet rancher.state.dev=LABEL=RANCHER_STATE rancher.debug=true "
        "rancher.shutdown_timeout=30 rancher.state.autoformat=[/dev/sda,/dev/vda] root=/dev/x");
    const Value& config = parsed.config;
    EXPECT_TRUE(parsed.rejected.empty());
    EXPECT_EQ(lookup(config, "rancher.state.dev")->text(), "LABEL=RANCHER_STATE");
    EXPECT_EQ(lookup(config, "rancher.debug")->scalar_type(), ScalarType::boolean);
    EXPECT_EQ(*lookup(config, "rancher.shutdown_timeout")->as_int(), 30);
    const Value* autoformat = lookup(config, "rancher.state.autoformat");
    ASSERT_TRUE(autoformat && autoformat->is_sequence());
    ASSERT_EQ(autoformat->items().size(), 2u);
    EXPECT_EQ(autoformat->items()[1].text(), "/dev/vda");
    // Words that are not ours are ignored.
    EXPECT_FALSE(config.find("BOOT_IMAGE"));
    EXPECT_FALSE(config.find("root"));
    EXPECT_FALSE(config.find("quiet"));
    EXPECT_TRUE(validate_cloud_config(config).empty());
}

TEST(Cmdline, KeysInitReadsValidate) {
    auto parsed = parse_kernel_cmdline(
        "rancher.state.wait=30 rancher.nostate rancher.state.disabled=true rancher.recovery");
    EXPECT_TRUE(validate_cloud_config(parsed.config).empty());
    CloudConfig config = to_cloud_config(parsed.config);
    EXPECT_EQ(config.rancher.state.wait_seconds, 30);
    EXPECT_TRUE(config.rancher.state.wait);
    EXPECT_TRUE(config.rancher.nostate);
    EXPECT_TRUE(config.rancher.state.disabled);
    EXPECT_TRUE(config.rancher.recovery);
    auto bad = parse_kernel_cmdline("rancher.state.wait=soon");
    ASSERT_EQ(validate_cloud_config(bad.config).size(), 1u);
    EXPECT_EQ(validate_cloud_config(bad.config)[0].message,
              "expected a boolean or an integer, got \"soon\"");
}

TEST(Cmdline, BareKeysAreTrue) {
    auto parsed = parse_kernel_cmdline("rancher.debug rancher.state.wait");
    EXPECT_EQ(*lookup(parsed.config, "rancher.debug")->as_bool(), true);
    EXPECT_EQ(*lookup(parsed.config, "rancher.state.wait")->as_bool(), true);
}

TEST(Cmdline, QuotedValuesKeepSpacesAndStayStrings) {
    auto parsed = parse_kernel_cmdline(
        "rancher.password=\"two words\" \"rancher.console=my console\" "
        "rancher.environment.N=\"42\"");
    EXPECT_EQ(lookup(parsed.config, "rancher.password")->text(), "two words");
    EXPECT_EQ(lookup(parsed.config, "rancher.console")->text(), "my console");
    const Value* number = lookup(parsed.config, "rancher.environment.N");
    EXPECT_EQ(number->text(), "42");
    EXPECT_EQ(number->scalar_type(), ScalarType::string);
}

TEST(Cmdline, DatasourceUrlsInLists) {
    auto parsed = parse_kernel_cmdline(
        "rancher.cloud_init.datasources=[url:http://10.0.2.2:8000/cc.yml, 'file:/x y']");
    const Value* sources = lookup(parsed.config, "rancher.cloud_init.datasources");
    ASSERT_TRUE(sources && sources->is_sequence());
    ASSERT_EQ(sources->items().size(), 2u);
    EXPECT_EQ(sources->items()[0].text(), "url:http://10.0.2.2:8000/cc.yml");
    EXPECT_EQ(sources->items()[1].text(), "file:/x y");
}

TEST(Cmdline, CcKeysAreTopLevelCloudConfig) {
    auto parsed = parse_kernel_cmdline("cc.hostname=box cc.ssh_authorized_keys=['ssh-rsa AAA x']");
    EXPECT_EQ(parsed.config.find("hostname")->text(), "box");
    EXPECT_EQ(parsed.config.find("ssh_authorized_keys")->items()[0].text(), "ssh-rsa AAA x");
    EXPECT_FALSE(parsed.config.find("cc"));
}

TEST(Cmdline, LaterWordsWinAndConflictsAreRejected) {
    auto parsed = parse_kernel_cmdline(
        "rancher.console=a rancher.console=b rancher.state=x rancher.state.dev=y rancher.=z");
    EXPECT_EQ(lookup(parsed.config, "rancher.console")->text(), "b");
    EXPECT_EQ(lookup(parsed.config, "rancher.state")->text(), "x");
    ASSERT_EQ(parsed.rejected.size(), 2u);
    EXPECT_NE(parsed.rejected[0].find("rancher.state.dev=y"), std::string::npos);
}

TEST(Cmdline, SysctlKeysWithDots) {
    auto parsed = parse_kernel_cmdline("rancher.sysctl.net.ipv4.ip_forward=1");
    const Value* sysctl = lookup(parsed.config, "rancher.sysctl");
    ASSERT_TRUE(sysctl);
    EXPECT_TRUE(sysctl->find("net.ipv4.ip_forward"));
}

TEST(Cmdline, EmptyAndHugeInputs) {
    EXPECT_TRUE(parse_kernel_cmdline("").config.is_null());
    std::string huge(max_cmdline_bytes * 2, '[');
    EXPECT_TRUE(parse_kernel_cmdline(huge).config.is_null());
}

}  // namespace
}  // namespace corral::config
