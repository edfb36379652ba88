#include "compose/plan.h"

#include <gtest/gtest.h>

#include "../config/samples.h"
#include "base/fs.h"
#include "config/layers.h"
#include "config/tree.h"

namespace corral::compose {
namespace {

class PlanTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto dir = fs::TempDir::create("/tmp", "plan");
        ASSERT_TRUE(dir);
        dir_.emplace(std::move(*dir));
        std::string repo = dir_->path() + "/repo";
        for (const auto& [flat, file] : std::vector<std::pair<std::string, std::string>>{
                 {"index.yml", "index.yml"},
                 {"z__zfs.yml", "z/zfs.yml"},
                 {"u__ubuntu.yml", "u/ubuntu.yml"},
                 {"v__volume-nfs.yml", "v/volume-nfs.yml"},
                 {"d__docker-19.03.11.yml", "d/docker-19.03.11.yml"}}) {
            auto text = fs::read_file(testing::sample(flat));
            ASSERT_TRUE(text) << flat;
            ASSERT_TRUE(fs::mkdir_p(fs::dirname(repo + "/" + file)));
            ASSERT_TRUE(fs::write_file_atomic(repo + "/" + file, *text));
        }
        paths_ = config::LayerPaths::under(dir_->path() + "/root");
        ASSERT_TRUE(fs::mkdir_p(fs::dirname(paths_.os_config)));
        auto os_config = fs::read_file(std::string(CORRAL_SOURCE_DIR) + "/os/os-config.yml");
        ASSERT_TRUE(os_config);
        ASSERT_TRUE(fs::write_file_atomic(paths_.os_config, *os_config));
        ASSERT_TRUE(fs::mkdir_p(fs::dirname(paths_.cloud_config_file)));
    }

    ErrorOr<Plan> plan(const std::string& user) {
        EXPECT_TRUE(fs::write_file_atomic(
            paths_.cloud_config_file,
            "rancher:\n  repositories:\n    core:\n      url: " + dir_->path() + "/repo\n" + user));
        config::LoadOptions options;
        options.cmdline = "";
        config::LoadedConfig loaded = config::load_config(paths_, options);
        EXPECT_TRUE(loaded.problems.empty()) << loaded.problems[0].to_string();
        Catalog catalog = Catalog::load(loaded.merged, paths_);
        EXPECT_TRUE(catalog.errors().empty());
        return plan_services(loaded.merged, catalog);
    }

    static const Service* find(const Plan& plan, const std::string& name) {
        for (const auto& service : plan.services) {
            if (service.name == name)
                return &service;
        }
        return nullptr;
    }
    static size_t position(const Plan& plan, const std::string& name) {
        for (size_t i = 0; i < plan.services.size(); ++i) {
            if (plan.services[i].name == name)
                return i;
        }
        return plan.services.size();
    }

    std::optional<fs::TempDir> dir_;
    config::LayerPaths paths_;
};

TEST_F(PlanTest, BuiltInServicesInOrder) {
    auto result = plan("");
    ASSERT_TRUE(result) << result.error().message();
    EXPECT_TRUE(result->warnings.empty());
    EXPECT_EQ(find(*result, "console")->request.config.image, "corral/os-console");
    EXPECT_EQ(find(*result, "docker")->request.config.image, "corral/os-docker");
    EXPECT_LT(position(*result, "udev"), position(*result, "network"));
    EXPECT_LT(position(*result, "console"), position(*result, "docker"));
}

TEST_F(PlanTest, ConsoleEngineIncludesAndDisable) {
    auto result = plan(
        "  console: ubuntu\n  docker:\n    engine: docker-19.03.11\n  services_include:\n"
        "    zfs: true\n    volume-nfs: false\n  disable: [ntp]\n  environment:\n"
        "    REGISTRY_DOMAIN: mirror.local\n");
    ASSERT_TRUE(result) << result.error().message();
    EXPECT_TRUE(result->warnings.empty()) << result->warnings[0];
    const Service* console = find(*result, "console");
    ASSERT_TRUE(console);
    EXPECT_EQ(console->console, "ubuntu");
    EXPECT_EQ(console->request.config.image, "mirror.local/rancher/os-ubuntuconsole:v1.5.5");
    const Service* docker = find(*result, "docker");
    ASSERT_TRUE(docker);
    EXPECT_EQ(docker->request.config.image, "mirror.local/rancher/os-docker:19.03.11");
    ASSERT_TRUE(find(*result, "zfs"));
    EXPECT_FALSE(find(*result, "volume-nfs"));
    EXPECT_FALSE(find(*result, "ntp"));
    EXPECT_LT(position(*result, "console"), position(*result, "zfs"));
    EXPECT_LT(position(*result, "zfs"), position(*result, "docker"));
}

TEST_F(PlanTest, BrokenChoicesAreWarningsNotFailures) {
    auto result = plan(
        "  console: nonesuch\n  services_include:\n    /nonexistent/x.yml: true\n  services:\n"
        "    broken:\n      command: no image\n");
    ASSERT_TRUE(result) << result.error().message();
    ASSERT_EQ(result->warnings.size(), 3u);
    EXPECT_NE(result->warnings[0].find("/nonexistent/x.yml"), std::string::npos);
    EXPECT_NE(result->warnings[1].find("console nonesuch"), std::string::npos);
    EXPECT_NE(result->warnings[2].find("service broken: image: missing"), std::string::npos);
    // The built-in console stays.
    EXPECT_EQ(find(*result, "console")->request.config.image, "corral/os-console");
}

TEST_F(PlanTest, CyclesFail) {
    auto result = plan(
        "  services:\n    a:\n      image: x\n      labels:\n        io.rancher.os.after: b\n"
        "    b:\n      image: x\n      labels:\n        io.rancher.os.after: a\n");
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message().find("dependency cycle"), std::string::npos);
}

}  // namespace
}  // namespace corral::compose
