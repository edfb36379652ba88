// rancher.system_docker.insecure_registry as the system engine reads it from the layers.
#include <gtest/gtest.h>

#include <optional>

#include "base/fs.h"
#include "init/system_engine.h"

namespace corral::init {
namespace {

using Entries = std::vector<std::string>;

class InsecureRegistriesTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto dir = fs::TempDir::create("/tmp", "insecure-registries");
        ASSERT_TRUE(dir);
        dir_.emplace(std::move(*dir));
        paths_ = config::LayerPaths::under(dir_->path());
        ASSERT_TRUE(fs::mkdir_p(paths_.cloud_config_dir));
        ASSERT_TRUE(fs::mkdir_p(fs::dirname(paths_.cmdline_file)));
        cmdline("");
    }

    void write(const std::string& path, const std::string& text) {
        ASSERT_TRUE(fs::write_file_atomic(path, text));
    }
    void boot_yml(const std::string& text) { write(paths_.cloud_config_dir + "/boot.yml", text); }
    void cmdline(const std::string& text) { write(paths_.cmdline_file, text + "\n"); }

    std::optional<fs::TempDir> dir_;
    config::LayerPaths paths_;
};

TEST_F(InsecureRegistriesTest, NoneWhenUnset) {
    boot_yml("rancher:\n  docker:\n    insecure_registry: [10.0.2.101:5000]\n");
    auto configured = configured_insecure_registries(paths_);
    EXPECT_TRUE(configured.entries.empty());
    EXPECT_TRUE(configured.problems.empty());
}

TEST_F(InsecureRegistriesTest, InvalidEntriesAreLeftOutAndNamedWithTheKey) {
    boot_yml(R"(rancher:
  system_docker:
    insecure_registry:
      - 10.0.2.101:5000
      - http://10.0.2.102:5000
      - 10.1.0.0/16
      - registry.lan/some/path
      - "[fd00::1]:5000"
)");
    auto configured = configured_insecure_registries(paths_);
    EXPECT_EQ(configured.entries, (Entries{"10.0.2.101:5000", "10.1.0.0/16", "[fd00::1]:5000"}));
    ASSERT_EQ(configured.problems.size(), 2u);
    EXPECT_EQ(configured.problems[0].rfind("rancher.system_docker.insecure_registry: insecure "
                                           "registry `http://10.0.2.102:5000`:",
                                           0),
              0u)
        << configured.problems[0];
    EXPECT_NE(configured.problems[1].find("`registry.lan/some/path`"), std::string::npos)
        << configured.problems[1];
}

// `ros config set` writes cloud-config.yml, which replaces the list of cloud-init's boot.yml
// (lists are never merged); the kernel command line replaces both.
TEST_F(InsecureRegistriesTest, LaterLayersReplaceTheList) {
    boot_yml("rancher:\n  system_docker:\n    insecure_registry: [10.0.2.101:5000]\n");
    EXPECT_EQ(configured_insecure_registries(paths_).entries, Entries{"10.0.2.101:5000"});
    write(paths_.cloud_config_file,
          "rancher:\n  system_docker:\n    insecure_registry: [registry.lan:5000, "
          "10.0.2.102:5000]\n");
    EXPECT_EQ(configured_insecure_registries(paths_).entries,
              (Entries{"registry.lan:5000", "10.0.2.102:5000"}));
    cmdline("console=ttyS0 rancher.system_docker.insecure_registry=[10.9.0.0/16]");
    EXPECT_EQ(configured_insecure_registries(paths_).entries, Entries{"10.9.0.0/16"});
}

}  // namespace
}  // namespace corral::init
