// The registry client against registries that lie or misbehave (a scripted HTTP server on
// 127.0.0.1): every lie is caught, and nothing is registered.
#include "image/registry.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "image/digest.h"
#include "image/store.h"
#include "image_builder.h"
#include "registry_fixture.h"

namespace corral::image {
namespace {

using testing::ScriptedServer;
using testing::TarBuilder;

struct FakeRepository {
    std::string config;
    std::string layer;  // as served
    std::string manifest;
    std::string layer_digest;  // as the manifest claims
    int64_t layer_size = 0;    // as the manifest claims
};

FakeRepository make_repository(const std::string& layer_tar, const std::string& served_layer,
                               int64_t claimed_size = -1) {
    FakeRepository repository;
    testing::TestImage image = testing::make_image({layer_tar}, "fake");
    repository.config = image.config_json;
    repository.layer = served_layer;
    repository.layer_digest = sha256_digest(layer_tar);
    repository.layer_size =
        claimed_size >= 0 ? claimed_size : static_cast<int64_t>(layer_tar.size());
    nlohmann::json manifest = {
        {"schemaVersion", 2},
        {"mediaType", "application/vnd.docker.distribution.manifest.v2+json"},
        {"config",
         {{"mediaType", "application/vnd.docker.container.image.v1+json"},
          {"digest", image.id},
          {"size", repository.config.size()}}},
        {"layers",
         {{{"mediaType", "application/vnd.docker.image.rootfs.diff.tar"},
           {"digest", repository.layer_digest},
           {"size", repository.layer_size}}}}};
    repository.manifest = manifest.dump();
    return repository;
}

// Serves the repository "fake" as a registry would, with `digest_header` as the manifest's
// Docker-Content-Digest and, when `basic` is set, a Basic challenge until it is answered.
ScriptedServer::Handler serve(const FakeRepository& repository, std::string digest_header,
                              std::string basic = {}) {
    return [=](const std::string& line, const std::string& head) {
        if (!basic.empty() && head.find("Authorization: " + basic + "\r\n") == std::string::npos)
            return ScriptedServer::response(
                401, "Unauthorized", {"WWW-Authenticate: Basic realm=\"fake\""},
                R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})");
        if (line.find("/v2/fake/manifests/") != std::string::npos)
            return ScriptedServer::response(
                200, "OK",
                {"Content-Type: application/vnd.docker.distribution.manifest.v2+json",
                 "Docker-Content-Digest: " + digest_header},
                repository.manifest);
        if (line.find("/v2/fake/blobs/" + sha256_digest(repository.config)) != std::string::npos)
            return ScriptedServer::response(200, "OK", {}, repository.config);
        if (line.find("/v2/fake/blobs/" + repository.layer_digest) != std::string::npos)
            return ScriptedServer::response(200, "OK", {}, repository.layer);
        return ScriptedServer::response(
            404, "Not Found", {"Content-Type: application/json"},
            R"({"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]})");
    };
}

class RegistryClientTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto dir = fs::TempDir::create("/tmp", "registry-test");
        ASSERT_TRUE(dir);
        sandbox_.emplace(std::move(*dir));
        root_ = fs::join(sandbox_->path(), "image");
        store_ = std::move(*Store::open(root_));
    }
    void expect_nothing_registered() {
        EXPECT_TRUE(store_->list().empty());
        EXPECT_TRUE(fs::list_dir(fs::join(root_, "layers"))->empty());
        EXPECT_TRUE(fs::list_dir(fs::join(root_, "tmp"))->empty());
    }
    std::optional<fs::TempDir> sandbox_;
    std::string root_;
    std::unique_ptr<Store> store_;
};

TEST_F(RegistryClientTest, AnHonestScriptedRegistryWorks) {
    std::string layer = TarBuilder().file("hello", "world").finish();
    FakeRepository repository = make_repository(layer, layer);
    ScriptedServer server(serve(repository, sha256_digest(repository.manifest)));
    auto pulled = store_->pull(server.host() + "/fake:1");
    ASSERT_TRUE(pulled) << pulled.error().message();
    EXPECT_EQ(pulled->digest, sha256_digest(repository.manifest));
}

TEST_F(RegistryClientTest, RefusesAManifestThatIsNotWhatItsDigestSays) {
    std::string layer = TarBuilder().file("hello", "world").finish();
    FakeRepository repository = make_repository(layer, layer);
    ScriptedServer server(serve(repository, "sha256:" + std::string(64, '1')));
    auto pulled = store_->pull(server.host() + "/fake:1");
    ASSERT_FALSE(pulled);
    EXPECT_NE(pulled.error().message().find("does not match Docker-Content-Digest"),
              std::string::npos)
        << pulled.error().message();
    // By digest: the body must hash to the digest asked for.
    auto by_digest = store_->pull(server.host() + "/fake@sha256:" + std::string(64, '2'));
    ASSERT_FALSE(by_digest);
    EXPECT_NE(by_digest.error().message().find("does not match its digest"), std::string::npos)
        << by_digest.error().message();
    expect_nothing_registered();
}

TEST_F(RegistryClientTest, RefusesALayerThatIsNotWhatItsDigestSays) {
    std::string layer = TarBuilder().file("hello", "world").finish();
    std::string other = TarBuilder().file("hello", "WORLD").finish();
    FakeRepository repository = make_repository(layer, other);
    ScriptedServer server(serve(repository, sha256_digest(repository.manifest)));
    auto pulled = store_->pull(server.host() + "/fake:1");
    ASSERT_FALSE(pulled);
    EXPECT_NE(pulled.error().message().find("content does not match its digest"), std::string::npos)
        << pulled.error().message();
    expect_nothing_registered();
}

TEST_F(RegistryClientTest, CutsOffALayerLongerThanItsDescriptor) {
    std::string layer = TarBuilder().file("big", std::string(200000, 'x')).finish();
    FakeRepository repository = make_repository(layer, layer, 1000);
    ScriptedServer server(serve(repository, sha256_digest(repository.manifest)));
    auto pulled = store_->pull(server.host() + "/fake:1");
    ASSERT_FALSE(pulled);
    EXPECT_EQ(pulled.error().kind(), ErrorKind::too_large) << pulled.error().message();
    expect_nothing_registered();
}

TEST_F(RegistryClientTest, RefusesAHostileLayer) {
    std::string layer = TarBuilder().symlink("etc", "/etc").file("etc/corral-pulled", "x").finish();
    FakeRepository repository = make_repository(layer, layer);
    ScriptedServer server(serve(repository, sha256_digest(repository.manifest)));
    auto pulled = store_->pull(server.host() + "/fake:1");
    ASSERT_FALSE(pulled);
    EXPECT_NE(pulled.error().message().find("etc/corral-pulled"), std::string::npos)
        << pulled.error().message();
    EXPECT_FALSE(*fs::exists("/etc/corral-pulled"));
    expect_nothing_registered();
}

TEST_F(RegistryClientTest, AnswersABasicChallengeWithTheCredentials) {
    std::string layer = TarBuilder().file("hello", "world").finish();
    FakeRepository repository = make_repository(layer, layer);
    std::string basic = "Basic " + testing::base64_encode("bob:secret", false);
    ScriptedServer server(serve(repository, sha256_digest(repository.manifest), basic));
    auto anonymous = store_->pull(server.host() + "/fake:1");
    ASSERT_FALSE(anonymous);
    EXPECT_EQ(anonymous.error().kind(), ErrorKind::permission_denied);
    auto wrong = store_->pull(server.host() + "/fake:1", {"bob", "guess", "", ""});
    ASSERT_FALSE(wrong);
    EXPECT_NE(wrong.error().message().find("401 Unauthorized: unauthorized: authentication "
                                           "required"),
              std::string::npos)
        << wrong.error().message();
    auto pulled = store_->pull(server.host() + "/fake:1", {"bob", "secret", "", ""});
    ASSERT_TRUE(pulled) << pulled.error().message();
}

}  // namespace
}  // namespace corral::image
