// Every RancherOS cloud-config sample validates and merges; RancherOS's built-in config
// template renders, parses and validates; our own os/os-config.yml validates.
#include <gtest/gtest.h>

#include "base/fs.h"
#include "config/layers.h"
#include "config/template.h"
#include "config/tree.h"
#include "samples.h"

namespace corral::config {
namespace {

std::vector<std::string> cloud_config_samples() {
    std::vector<std::string> out;
    auto names = fs::list_dir(testing::samples_dir());
    if (!names)
        return out;
    for (const auto& name : *names) {
        auto text = fs::read_file(testing::sample(name));
        if (text && text->starts_with("#cloud-config"))
            out.push_back(name);
    }
    return out;
}

std::string problems_text(const std::vector<Problem>& problems) {
    std::string out;
    for (const auto& problem : problems)
        out += problem.to_string() + "\n";
    return out;
}

TEST(Samples, AreFound) {
    ASSERT_FALSE(testing::samples_dir().empty()) << "rancheros-samples not found";
    EXPECT_GE(cloud_config_samples().size(), 9u);
}

TEST(Samples, EveryCloudConfigValidatesAndMerges) {
    auto root = fs::TempDir::create("/tmp", "samples");
    ASSERT_TRUE(root);
    LayerPaths paths = LayerPaths::under(root->path());
    ASSERT_TRUE(fs::mkdir_p(paths.cloud_config_dir));
    for (const auto& name : cloud_config_samples()) {
        SCOPED_TRACE(name);
        auto text = fs::read_file(testing::sample(name));
        ASSERT_TRUE(text);
        auto parsed = parse_cloud_config(*text, name);
        ASSERT_TRUE(parsed) << parsed.error().message();
        EXPECT_TRUE(parsed->problems.empty()) << problems_text(parsed->problems);
        ASSERT_TRUE(fs::write_file_atomic(paths.cloud_config_dir + "/" + name, *text));
    }
    LoadOptions options;
    options.cmdline = "rancher.debug";
    LoadedConfig loaded = load_config(paths, options);
    EXPECT_TRUE(loaded.errors.empty());
    EXPECT_TRUE(loaded.problems.empty()) << problems_text(loaded.problems);
    EXPECT_EQ(loaded.layers.size(), cloud_config_samples().size() + 1);
    CloudConfig typed = loaded.typed();
    // Sorted merge: tests__assets__test_26 is the last file; its runcmd wins, `- []` dropped.
    ASSERT_EQ(typed.runcmd.size(), 3u);
    EXPECT_EQ(typed.runcmd[0].argv, std::vector<std::string>{"test"});
    EXPECT_EQ(typed.runcmd[2].shell, "echo \"\" > /home/rancher/test5");
    EXPECT_TRUE(typed.rancher.debug);
    // Maps merged across files: interfaces from several samples.
    bool bond0 = false, eth_glob = false;
    for (const auto& [name, interface] : typed.rancher.network.interfaces) {
        bond0 |= name == "bond0";
        eth_glob |= name == "eth*" && interface.dhcp;
    }
    EXPECT_TRUE(bond0);
    EXPECT_TRUE(eth_glob);
}

TEST(Samples, TypedValuesOfTheNetworkSample) {
    auto parsed = read_cloud_config(testing::sample("assets__test_network_from_cloudcfg.yml"));
    ASSERT_TRUE(parsed);
    CloudConfig config = to_cloud_config(parsed->value);
    const auto& interfaces = config.rancher.network.interfaces;
    ASSERT_EQ(interfaces.size(), 7u);
    EXPECT_EQ(interfaces[1].first, "eth1");
    EXPECT_EQ(interfaces[1].second.vlans, "100,200:foobar");
    EXPECT_EQ(interfaces[2].second.bridge, "true");
    EXPECT_EQ(interfaces[4].first, "bond0");
    EXPECT_EQ(interfaces[4].second.mtu, 1450);
    EXPECT_EQ(interfaces[4].second.addresses, std::vector<std::string>{"192.168.122.252/31"});
    EXPECT_EQ(interfaces[4].second.bond_opts.at("xmit_hash_policy"), "layer3+4");
    EXPECT_EQ(interfaces[5].second.bond, "bond0");
    ASSERT_EQ(config.ssh_authorized_keys.size(), 1u);
}

TEST(Samples, WriteFilesAndMounts) {
    auto files = read_cloud_config(testing::sample("tests__assets__test_24__cloud-config.yml"));
    ASSERT_TRUE(files);
    CloudConfig config = to_cloud_config(files->value);
    ASSERT_EQ(config.write_files.size(), 4u);
    EXPECT_EQ(config.write_files[1].container, "console");
    EXPECT_EQ(config.write_files[2].content, "ntp content\n");
    EXPECT_EQ(config.write_files[0].permissions, "0644");
    EXPECT_EQ(config.rancher.restart_services, std::vector<std::string>{"syslog"});

    auto mounts = read_cloud_config(testing::sample("tests__assets__test_23__cloud-config.yml"));
    ASSERT_TRUE(mounts);
    CloudConfig mounted = to_cloud_config(mounts->value);
    ASSERT_EQ(mounted.mounts.size(), 5u);
    EXPECT_EQ(mounted.mounts[0].type, "");
    EXPECT_EQ(mounted.mounts[0].options, "bind");
    EXPECT_EQ(mounted.mounts[3].type, "auto");
}

std::map<std::string, std::string> template_variables(const std::string& arch) {
    return {
        {"VERSION", "v1.5.8"},
        {"SUFFIX", ""},
        {"ARCH", arch},
        {"OS_REPO", "rancher"},
        {"HOSTNAME_DEFAULT", "rancher"},
        {"USER_DOCKER_ENGINE_VERSION", "docker-19.03.11"},
        {"USER_DOCKER_VERSION", "19.03.11"},
        {"AZURE_SERVICE", "false"},
        {"PROXMOXVE_SERVICE", "true"},
        {"OS_CONSOLE", "default"},
        {"OS_SERVICES_REPO", "https://raw.githubusercontent.com/rancher/os-services"},
        {"REPO_VERSION", "v1.5.8"},
        {"OS_RELEASES_YML", "https://releases.rancher.com/os"},
    };
}

TEST(Samples, OsConfigTemplateRendersParsesAndValidates) {
    auto text = fs::read_file(testing::sample("os-config.tpl.yml"));
    ASSERT_TRUE(text);
    for (const std::string arch : {"amd64", "arm64"}) {
        SCOPED_TRACE(arch);
        auto rendered = render_template(*text, template_variables(arch));
        ASSERT_TRUE(rendered) << rendered.error().message();
        EXPECT_EQ(rendered->find("{{"), std::string::npos);
        auto parsed = parse_cloud_config(*rendered, "os-config.yml");
        ASSERT_TRUE(parsed) << parsed.error().message() << "\n" << *rendered;
        EXPECT_TRUE(parsed->problems.empty()) << problems_text(parsed->problems);
        CloudConfig config = to_cloud_config(parsed->value);
        EXPECT_EQ(config.rancher.docker.engine, "docker-19.03.11");
        EXPECT_EQ(config.rancher.defaults.hostname, "rancher");
        EXPECT_EQ(config.rancher.services_include.count("qemu-guest-agent"), 1u);
        EXPECT_EQ(config.rancher.services_include.count("waagent"), 0u);
        EXPECT_EQ(config.rancher.shutdown_timeout, 60);
        bool has_acpid = false;
        for (const auto& [name, definition] : config.rancher.services)
            has_acpid |= name == "acpid";
        EXPECT_EQ(has_acpid, arch == "amd64");
        const Value* cron = lookup(parsed->value, "rancher.services.system-cron.image");
        ASSERT_TRUE(cron);
        EXPECT_EQ(cron->text(), arch == "amd64" ? "rancher/container-crontab:v0.4.0"
                                                : "niusmallnan/container-crontab:v0.4.0");
        EXPECT_EQ(config.rancher.docker.tls_args.back(), "-H=0.0.0.0:2376");
    }
}

TEST(Samples, OurOsConfigValidates) {
    std::string path = std::string(CORRAL_SOURCE_DIR) + "/os/os-config.yml";
    auto parsed = read_cloud_config(path);
    ASSERT_TRUE(parsed) << parsed.error().message();
    EXPECT_TRUE(parsed->problems.empty()) << problems_text(parsed->problems);
    CloudConfig config = to_cloud_config(parsed->value);
    std::vector<std::string> names;
    for (const auto& [name, definition] : config.rancher.services)
        names.push_back(name);
    for (const char* required :
         {"udev", "syslog", "network", "ntp", "acpid", "cloud-init", "console", "docker"}) {
        EXPECT_NE(std::find(names.begin(), names.end(), required), names.end()) << required;
    }
    EXPECT_EQ(config.rancher.state.dev, "LABEL=RANCHER_STATE");
}

}  // namespace
}  // namespace corral::config
