#include "compose/repository.h"

#include <gtest/gtest.h>

#include "../config/samples.h"
#include "base/fs.h"
#include "compose/order.h"
#include "compose/service.h"
#include "config/layers.h"
#include "config/template.h"

namespace corral::compose {
namespace {

// Lays the flattened samples (`z__zfs.yml`) out as a repository (`z/zfs.yml`).
class RepositoryTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto dir = fs::TempDir::create("/tmp", "repo");
        ASSERT_TRUE(dir);
        dir_.emplace(std::move(*dir));
        auto index = fs::read_file(testing::sample("index.yml"));
        ASSERT_TRUE(index);
        ASSERT_TRUE(fs::write_file_atomic(dir_->path() + "/index.yml", *index));
        for (const char* name :
             {"z__zfs.yml", "v__volume-nfs.yml", "d__docker-19.03.11.yml", "u__ubuntu.yml"}) {
            std::string flat = name;
            std::string letter = flat.substr(0, 1);
            std::string file = flat.substr(3);
            auto text = fs::read_file(testing::sample(flat));
            ASSERT_TRUE(text);
            ASSERT_TRUE(fs::mkdir_p(dir_->path() + "/" + letter));
            ASSERT_TRUE(fs::write_file_atomic(dir_->path() + "/" + letter + "/" + file, *text));
        }
    }
    std::optional<fs::TempDir> dir_;
};

TEST_F(RepositoryTest, IndexListsServicesConsolesEngines) {
    auto repository = Repository::open_directory(dir_->path());
    ASSERT_TRUE(repository) << repository.error().message();
    const auto& index = repository->index();
    EXPECT_EQ(index.services.size(), 20u);
    EXPECT_EQ(index.consoles.size(), 5u);
    EXPECT_EQ(index.engines.size(), 36u);
    EXPECT_EQ(index.engines.back(), "docker-19.03.11");
    EXPECT_TRUE(repository->lists("ubuntu"));
    EXPECT_EQ(repository->path_of("zfs"), dir_->path() + "/z/zfs.yml");
}

TEST_F(RepositoryTest, ReadsAndParsesServices) {
    auto repository = Repository::open_directory(dir_->path());
    ASSERT_TRUE(repository);
    for (const char* name : {"zfs", "volume-nfs", "docker-19.03.11", "ubuntu"}) {
        SCOPED_TRACE(name);
        auto text = repository->read(name);
        ASSERT_TRUE(text) << text.error().message();
        auto services = parse_service_file(*text, name, default_environment());
        ASSERT_TRUE(services) << services.error().message();
        EXPECT_EQ(services->size(), 1u);
    }
    auto missing = repository->read("not-listed");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().kind(), ErrorKind::not_found);
    auto listed_absent = repository->read("open-iscsi");
    ASSERT_FALSE(listed_absent);
    EXPECT_NE(listed_absent.error().message().find("o/open-iscsi.yml"), std::string::npos);
    EXPECT_FALSE(repository->read("../etc/passwd"));
}

TEST(Repository, BadIndexes) {
    EXPECT_FALSE(parse_repository_index("services: zfs\n", "index.yml"));
    EXPECT_FALSE(parse_repository_index("services: [../x]\n", "index.yml"));
    EXPECT_FALSE(parse_repository_index("- a\n", "index.yml"));
    EXPECT_TRUE(parse_repository_index("", "index.yml"));
    EXPECT_FALSE(Repository::open_directory("/nonexistent-repo"));
}

TEST(Images, OfTheRenderedRancherOsConfig) {
    auto text = fs::read_file(testing::sample("os-config.tpl.yml"));
    ASSERT_TRUE(text);
    std::map<std::string, std::string> variables{{"VERSION", "v1.5.8"},
                                                 {"SUFFIX", ""},
                                                 {"ARCH", "amd64"},
                                                 {"OS_REPO", "rancher"},
                                                 {"HOSTNAME_DEFAULT", "rancher"},
                                                 {"USER_DOCKER_ENGINE_VERSION", "docker-19.03.11"},
                                                 {"USER_DOCKER_VERSION", "19.03.11"},
                                                 {"AZURE_SERVICE", "false"},
                                                 {"PROXMOXVE_SERVICE", "false"},
                                                 {"OS_CONSOLE", "default"},
                                                 {"OS_SERVICES_REPO", "https://x"},
                                                 {"REPO_VERSION", "v1"},
                                                 {"OS_RELEASES_YML", "https://y"}};
    auto rendered = config::render_template(*text, variables);
    ASSERT_TRUE(rendered);
    auto document = config::parse_cloud_config(*rendered, "os-config.yml");
    ASSERT_TRUE(document);
    auto images = configured_images(document->value);
    ASSERT_TRUE(images) << images.error().message();
    EXPECT_EQ(*images, (std::vector<std::string>{
                           "rancher/container-crontab:v0.4.0", "rancher/os-acpid:v1.5.8",
                           "rancher/os-base:v1.5.8", "rancher/os-bootstrap:v1.5.8",
                           "rancher/os-console:v1.5.8", "rancher/os-docker:19.03.11",
                           "rancher/os-logrotate:v1.5.8", "rancher/os-syslog:v1.5.8"}));
    // Every service of it parses into a container spec, and they order without cycles.
    config::CloudConfig config = config::to_cloud_config(document->value);
    std::vector<Service> services;
    for (const auto& [name, definition] : config.rancher.services) {
        auto service = parse_service(name, definition, environment_for(config));
        ASSERT_TRUE(service) << service.error().message();
        services.push_back(*service);
    }
    EXPECT_TRUE(start_order(services));
}

}  // namespace
}  // namespace corral::compose
