#include "config/schema.h"

#include <gtest/gtest.h>

#include "config/yaml.h"

namespace corral::config {
namespace {

std::vector<std::string> problems_of(const char* text) {
    auto value = parse_yaml(text, "cc.yml");
    EXPECT_TRUE(value) << value.error().message();
    std::vector<std::string> out;
    for (const auto& problem : validate_cloud_config(*value))
        out.push_back(problem.to_string());
    return out;
}

TEST(Schema, UnknownKeysAreReportedWithPathAndLine) {
    auto problems = problems_of("#cloud-config\nrancher:\n  netwrk:\n    dns: {}\n");
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0], "cc.yml:3:3: rancher.netwrk: unknown key");
}

TEST(Schema, WrongTypesNameTheExpectedType) {
    auto problems = problems_of("rancher:\n  shutdown_timeout: abc\n  debug: maybe\n");
    ASSERT_EQ(problems.size(), 2u);
    EXPECT_EQ(problems[0],
              "cc.yml:2:21: rancher.shutdown_timeout: expected an integer, got \"abc\"");
    EXPECT_EQ(problems[1], "cc.yml:3:10: rancher.debug: expected a boolean, got \"maybe\"");
}

TEST(Schema, EveryProblemIsReportedNotJustTheFirst) {
    auto problems = problems_of(
        "hostnme: x\nssh_authorized_keys: key\nwrite_files:\n  - path: /a\n    mode: 1\n"
        "rancher:\n  network:\n    interfaces:\n      eth0:\n        mtu: big\n        dhcpp: "
        "true\n"
        "  state:\n    autoformat: /dev/sda\n");
    ASSERT_EQ(problems.size(), 6u);
    EXPECT_EQ(problems[0], "cc.yml:1:1: hostnme: unknown key");
    EXPECT_EQ(problems[1],
              "cc.yml:2:22: ssh_authorized_keys: expected a list of strings, got \"key\"");
    EXPECT_EQ(problems[2], "cc.yml:5:5: write_files[0].mode: unknown key");
    EXPECT_EQ(
        problems[3],
        "cc.yml:10:14: rancher.network.interfaces.eth0.mtu: expected an integer, got \"big\"");
    EXPECT_EQ(problems[4], "cc.yml:11:9: rancher.network.interfaces.eth0.dhcpp: unknown key");
    EXPECT_EQ(
        problems[5],
        "cc.yml:13:17: rancher.state.autoformat: expected a list of strings, got \"/dev/sda\"");
}

TEST(Schema, ServicesAreCheckedAgainstComposeKeys) {
    auto problems = problems_of(
        "rancher:\n  services:\n    web:\n      image: nginx\n      imagee: x\n"
        "      privileged: sometimes\n      environment: [A=1]\n      labels: {a: b}\n");
    ASSERT_EQ(problems.size(), 2u);
    EXPECT_EQ(problems[0], "cc.yml:5:7: rancher.services.web.imagee: unknown key");
    EXPECT_EQ(
        problems[1],
        "cc.yml:6:19: rancher.services.web.privileged: expected a boolean, got \"sometimes\"");
}

TEST(Schema, EmptyValuesAndFreeFormMapsAreFine) {
    EXPECT_TRUE(problems_of("rancher:\nhostname:\n").empty());
    EXPECT_TRUE(problems_of("rancher:\n  sysctl:\n    net.ipv4.ip_forward: 1\n  environment:\n"
                            "    ANY_NAME: x\n  services_include:\n    zfs: true\n")
                    .empty());
    EXPECT_TRUE(problems_of("runcmd:\n  - []\n  - [touch, /a]\n  - echo hi\nmounts:\n"
                            "  - [/dev/vdb, /mnt, ext4, \"\"]\n")
                    .empty());
}

TEST(Schema, WriteFilesEncodingIsOneOfTheKnownOnes) {
    EXPECT_TRUE(problems_of("write_files:\n  - path: /a\n    encoding: gz+b64\n").empty());
    auto problems = problems_of("write_files:\n  - path: /a\n    encoding: rot13\n");
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0],
              "cc.yml:3:15: write_files[0].encoding: expected one of b64, base64, gzip, gz, "
              "gz+b64, gz+base64, gzip+b64, gzip+base64; got \"rot13\"");
}

TEST(Schema, RootMustBeAMap) {
    auto problems = problems_of("- a\n- b\n");
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0], "cc.yml:1:1: document: expected a map of cloud-config keys, got a list");
}

TEST(Schema, SecretPaths) {
    EXPECT_TRUE(is_secret_path("rancher.ssh.keys"));
    EXPECT_TRUE(is_secret_path("rancher.ssh.keys.rsa"));
    EXPECT_FALSE(is_secret_path("rancher.ssh.port"));
    EXPECT_TRUE(is_secret_path("rancher.password"));
    EXPECT_TRUE(is_secret_path("rancher.registry_auths"));
    EXPECT_TRUE(is_secret_path("rancher.docker.server_key"));
    EXPECT_TRUE(is_secret_path("rancher.system_docker.ca_key"));
    EXPECT_FALSE(is_secret_path("rancher.docker.tls_args"));
    EXPECT_TRUE(is_secret_path("rancher.network.wifi_networks.home.psk"));
}

TEST(Schema, KeyListCoversTheTree) {
    auto keys = schema_keys();
    auto has = [&](const std::string& key) {
        for (const auto& [name, type] : keys) {
            if (name == key)
                return true;
        }
        return false;
    };
    EXPECT_TRUE(has("hostname"));
    EXPECT_TRUE(has("rancher.state.dev"));
    EXPECT_TRUE(has("rancher.network.interfaces.*.mtu"));
    EXPECT_TRUE(has("rancher.services.*"));
    EXPECT_TRUE(has("rancher.sysctl.*"));
}

}  // namespace
}  // namespace corral::config
