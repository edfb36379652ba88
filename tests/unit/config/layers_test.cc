#include "config/layers.h"

#include <gtest/gtest.h>

#include "base/fs.h"
#include "config/tree.h"

namespace corral::config {
namespace {

class Layers : public ::testing::Test {
  protected:
    void SetUp() override {
        auto dir = fs::TempDir::create("/tmp", "config-layers");
        ASSERT_TRUE(dir);
        root_.emplace(std::move(*dir));
        paths_ = LayerPaths::under(root_->path());
        ASSERT_TRUE(fs::mkdir_p(fs::dirname(paths_.os_config)));
        ASSERT_TRUE(fs::mkdir_p(fs::dirname(paths_.oem_config)));
        ASSERT_TRUE(fs::mkdir_p(paths_.cloud_config_dir));
        ASSERT_TRUE(fs::mkdir_p(fs::dirname(paths_.cmdline_file)));
    }
    void write(const std::string& path, const std::string& text) {
        ASSERT_TRUE(fs::write_file_atomic(path, text));
    }
    std::string text_at(const LoadedConfig& loaded, const char* key) {
        const Value* value = lookup(loaded.merged, key);
        return value ? value->text() : "<unset>";
    }

    std::optional<fs::TempDir> root_;
    LayerPaths paths_;
};

TEST_F(Layers, UnderPrefixesEveryPath) {
    LayerPaths real = LayerPaths::under("/");
    EXPECT_EQ(real.cloud_config_file, "/var/lib/rancher/conf/cloud-config.yml");
    EXPECT_EQ(real.os_config, "/usr/share/ros/os-config.yml");
    EXPECT_EQ(real.oem_config, "/usr/share/ros/oem/oem-config.yml");
    EXPECT_EQ(LayerPaths::under("/r/").cmdline_file, "/r/proc/cmdline");
}

TEST_F(Layers, MergeOrderIsOsOemDirFileCmdline) {
    // Each layer sets its own key and overrides `rancher.console`; the last one present wins.
    write(paths_.os_config, "rancher:\n  console: os\n  debug: false\n  shutdown_timeout: 60\n");
    write(paths_.oem_config, "rancher:\n  console: oem\n  log: true\n");
    write(paths_.cloud_config_dir + "/b.yml", "rancher:\n  console: dir-b\nhostname: from-b\n");
    write(paths_.cloud_config_dir + "/a.yml", "rancher:\n  console: dir-a\nhostname: from-a\n");
    write(paths_.cloud_config_dir + "/.hidden.yml", "hostname: hidden\n");
    write(paths_.cloud_config_dir + "/notes.txt", "hostname: txt\n");
    write(paths_.cloud_config_file, "rancher:\n  console: user\n  debug: true\n");
    write(paths_.cmdline_file, "quiet rancher.console=cmdline rancher.shutdown_timeout=5\n");

    LoadedConfig loaded = load_config(paths_);
    EXPECT_TRUE(loaded.errors.empty());
    EXPECT_TRUE(loaded.problems.empty());
    ASSERT_EQ(loaded.layers.size(), 6u);
    EXPECT_EQ(loaded.layers[2].source, paths_.cloud_config_dir + "/a.yml");
    EXPECT_EQ(loaded.layers[3].source, paths_.cloud_config_dir + "/b.yml");
    EXPECT_EQ(text_at(loaded, "rancher.console"), "cmdline");
    EXPECT_EQ(text_at(loaded, "hostname"), "from-b");  // sorted: b.yml after a.yml
    EXPECT_EQ(text_at(loaded, "rancher.debug"), "true");
    EXPECT_EQ(text_at(loaded, "rancher.log"), "true");
    EXPECT_EQ(text_at(loaded, "rancher.shutdown_timeout"), "5");

    CloudConfig typed = loaded.typed();
    EXPECT_EQ(typed.rancher.console, "cmdline");
    EXPECT_EQ(typed.rancher.shutdown_timeout, 5);
    EXPECT_TRUE(typed.rancher.debug);

    LoadOptions user_only;
    user_only.system_layers = false;
    user_only.kernel_cmdline = false;
    LoadedConfig user = load_config(paths_, user_only);
    EXPECT_EQ(text_at(user, "rancher.console"), "user");
    EXPECT_EQ(text_at(user, "rancher.log"), "<unset>");
}

TEST_F(Layers, BrokenLayersAreSkippedAndReportedNeverFatal) {
    write(paths_.os_config, "rancher:\n  console: os\n");
    write(paths_.cloud_config_dir + "/bad.yml", "rancher: [unclosed\n");
    write(paths_.cloud_config_file, "rancher:\n  netwrk: {}\n  console: user\n");
    LoadOptions options;
    options.cmdline = "rancher.shutdown_timeout=soon";
    LoadedConfig loaded = load_config(paths_, options);
    ASSERT_EQ(loaded.errors.size(), 1u);
    EXPECT_NE(loaded.errors[0].find("bad.yml:"), std::string::npos) << loaded.errors[0];
    ASSERT_EQ(loaded.problems.size(), 2u);
    EXPECT_EQ(loaded.problems[0].to_string(),
              paths_.cloud_config_file + ":2:3: rancher.netwrk: unknown key");
    EXPECT_EQ(loaded.problems[1].to_string(),
              "kernel command line: rancher.shutdown_timeout: expected an integer, got \"soon\"");
    // The valid parts still apply.
    EXPECT_EQ(text_at(loaded, "rancher.console"), "user");
}

TEST_F(Layers, MissingFilesAreEmptyLayers) {
    LoadOptions options;
    options.cmdline = "";
    LoadedConfig loaded = load_config(paths_, options);
    EXPECT_TRUE(loaded.errors.empty());
    EXPECT_TRUE(loaded.layers.empty());
    EXPECT_TRUE(loaded.merged.is_mapping());
}

}  // namespace
}  // namespace corral::config
