#include "compose/catalog.h"
#include "compose/service.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "../config/samples.h"
#include "base/fs.h"
#include "base/process.h"
#include "base/sys.h"
#include "config/http.h"
#include "config/tree.h"
#include "config/yaml.h"

namespace corral::compose {
namespace {

// A free TCP port on 127.0.0.1 (bound and released: a small race, fine for a test).
int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    socklen_t length = sizeof(address);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);
    return ntohs(address.sin_port);
}

void write_repository(const std::string& dir) {
    auto index = fs::read_file(testing::sample("index.yml"));
    ASSERT_TRUE(index);
    ASSERT_TRUE(fs::mkdir_p(dir + "/z"));
    ASSERT_TRUE(fs::mkdir_p(dir + "/u"));
    ASSERT_TRUE(fs::write_file_atomic(dir + "/index.yml", *index));
    ASSERT_TRUE(
        fs::write_file_atomic(dir + "/z/zfs.yml", *fs::read_file(testing::sample("z__zfs.yml"))));
    ASSERT_TRUE(fs::write_file_atomic(dir + "/u/ubuntu.yml",
                                      *fs::read_file(testing::sample("u__ubuntu.yml"))));
}

config::Value repositories(const std::string& yaml) {
    auto value = config::parse_yaml(yaml);
    EXPECT_TRUE(value) << value.error().message();
    return value ? *value : config::Value();
}

class CatalogTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto dir = fs::TempDir::create("/tmp", "catalog");
        ASSERT_TRUE(dir);
        dir_.emplace(std::move(*dir));
        paths_ = config::LayerPaths::under(dir_->path() + "/root");
    }
    std::optional<fs::TempDir> dir_;
    config::LayerPaths paths_;
};

TEST_F(CatalogTest, DirectoryRepositories) {
    write_repository(dir_->path() + "/repo");
    Catalog catalog = Catalog::load(
        repositories("rancher:\n  repositories:\n    core:\n      url: " + dir_->path() +
                     "/repo/\n    broken:\n      url: " + dir_->path() + "/missing\n"),
        paths_);
    ASSERT_EQ(catalog.repositories().size(), 1u);
    ASSERT_EQ(catalog.errors().size(), 1u);
    EXPECT_NE(catalog.errors()[0].find("repository broken:"), std::string::npos);
    EXPECT_EQ(catalog.services().size(), 20u);
    EXPECT_EQ(catalog.consoles().back(), "ubuntu");
    auto zfs = catalog.read("zfs");
    ASSERT_TRUE(zfs) << zfs.error().message();
    EXPECT_NE(zfs->find("os-zfs"), std::string::npos);
    EXPECT_EQ(catalog.read("nothing").error().kind(), ErrorKind::not_found);
    auto by_path = read_service_source(catalog, dir_->path() + "/repo/u/ubuntu.yml");
    ASSERT_TRUE(by_path);
}

TEST_F(CatalogTest, UrlRepositoriesAreFetchedCachedAndUsedOffline) {
    std::string served = dir_->path() + "/served";
    write_repository(served);
    int port = free_port();
    SpawnOptions options;
    options.argv = {"python3", "-m",        "http.server", std::to_string(port),
                    "--bind",  "127.0.0.1", "--directory", served};
    auto server = spawn(options);
    ASSERT_TRUE(server) << server.error().message();
    std::string url = "http://127.0.0.1:" + std::to_string(port);
    bool up = false;
    for (int attempt = 0; attempt < 100 && !up; ++attempt) {
        up = static_cast<bool>(config::http_get(url + "/index.yml"));
        if (!up)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(up) << "python http.server did not come up";
    config::Value config =
        repositories("rancher:\n  repositories:\n    remote:\n      url: " + url + "\n");
    {
        Catalog catalog = Catalog::load(config, paths_);
        EXPECT_TRUE(catalog.errors().empty());
        EXPECT_EQ(catalog.engines().size(), 36u);
        auto zfs = catalog.read("zfs");
        ASSERT_TRUE(zfs) << zfs.error().message();
        auto services = parse_service_file(*zfs, "zfs.yml", default_environment());
        ASSERT_TRUE(services);
        auto missing = catalog.read("open-iscsi");
        ASSERT_FALSE(missing);
        EXPECT_EQ(missing.error().message(), "GET " + url + "/o/open-iscsi.yml: HTTP 404");
        auto direct = read_service_source(catalog, url + "/u/ubuntu.yml");
        EXPECT_TRUE(direct);
    }
    EXPECT_TRUE(sys::kill(server->pid(), SIGTERM));
    EXPECT_TRUE(server->wait());
    // Offline: the cached index and the cached zfs.yml still serve; others fail with the URL.
    Catalog offline = Catalog::load(config, paths_);
    EXPECT_TRUE(offline.errors().empty());
    EXPECT_EQ(offline.engines().size(), 36u);
    EXPECT_TRUE(offline.read("zfs"));
    auto uncached = offline.read("ubuntu");
    ASSERT_FALSE(uncached);
    EXPECT_EQ(uncached.error().message().rfind("GET " + url + "/u/ubuntu.yml: ", 0), 0u)
        << uncached.error().message();
    auto cached = fs::exists(paths_.cache_dir + "/repos/remote/index.yml");
    EXPECT_TRUE(cached && *cached);
    // A service file enabled by its URL: from the cache once fetched, also at boot
    // (cached_only, no fetch); one never fetched fails with its URL.
    auto direct = read_service_source(offline, url + "/u/ubuntu.yml");
    ASSERT_TRUE(direct) << direct.error().message();
    EXPECT_NE(direct->find("ubuntu"), std::string::npos);
    Catalog at_boot = Catalog::load(config, paths_, /*cached_only=*/true);
    EXPECT_TRUE(read_service_source(at_boot, url + "/u/ubuntu.yml"));
    auto never = read_service_source(at_boot, url + "/z/zfs.yml");
    ASSERT_FALSE(never);
    EXPECT_NE(never.error().message().find(url + "/z/zfs.yml"), std::string::npos)
        << never.error().message();
}

TEST_F(CatalogTest, UnreachableUrlNamesUrlAndReason) {
    std::string url = "http://127.0.0.1:" + std::to_string(free_port());
    Catalog catalog = Catalog::load(
        repositories("rancher:\n  repositories:\n    gone:\n      url: " + url + "\n"), paths_);
    ASSERT_EQ(catalog.errors().size(), 1u);
    EXPECT_EQ(catalog.errors()[0].rfind("repository gone: GET " + url + "/index.yml: ", 0), 0u)
        << catalog.errors()[0];
    auto bad_scheme = config::http_get("ftp://127.0.0.1/x");
    ASSERT_FALSE(bad_scheme);
}

}  // namespace
}  // namespace corral::compose
