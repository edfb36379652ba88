#include <gtest/gtest.h>

#include "base/fs.h"
#include "base/process.h"
#include "image/registry.h"
#include "image/store.h"
#include "image_builder.h"
#include "registry_fixture.h"

namespace corral::image {
namespace {

using testing::LocalRegistry;
using testing::TarBuilder;
using testing::TestImage;

bool have_tools() {
    return ::access("/usr/bin/docker-registry", X_OK) == 0 &&
           ::access("/usr/bin/skopeo", X_OK) == 0;
}

class PullTest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!have_tools())
            GTEST_SKIP() << "docker-registry or skopeo missing (scripts/setup installs them)";
        auto dir = fs::TempDir::create("/tmp", "pull-test");
        ASSERT_TRUE(dir);
        sandbox_.emplace(std::move(*dir));
        storage_ = fs::join(sandbox_->path(), "storage");
        ASSERT_TRUE(fs::mkdir_p(storage_));
        auto registry = LocalRegistry::start(sandbox_->path(), storage_);
        ASSERT_TRUE(registry) << "docker-registry did not start";
        registry_.emplace(std::move(*registry));
        auto store = Store::open(fs::join(sandbox_->path(), "image"));
        ASSERT_TRUE(store);
        store_ = std::move(*store);

        std::string base = TarBuilder().dir("bin").file("bin/sh", "shell", 0755).finish();
        std::string top = TarBuilder().file("etc/.wh.gone", "").file("etc/motd", "hi").finish();
        image_ = testing::make_image({base, top}, "pulled");
        archive_ = fs::join(sandbox_->path(), "image.tar");
        ASSERT_TRUE(fs::write_file_atomic(archive_, testing::docker_archive({{image_, {}}})));
    }

    // skopeo copy into the registry; extra flags choose the manifest format and compression.
    void push(const std::string& name, const std::vector<std::string>& flags = {}) {
        std::vector<std::string> argv = {"skopeo", "--insecure-policy", "copy", "--quiet",
                                         "--dest-tls-verify=false"};
        argv.insert(argv.end(), flags.begin(), flags.end());
        argv.push_back("docker-archive:" + archive_);
        argv.push_back("docker://" + registry_->host() + "/" + name);
        auto result = run(argv);
        ASSERT_TRUE(result);
        ASSERT_EQ(result->exit_code, 0) << result->err;
    }

    // The same storage served over TLS with a self-signed certificate nobody trusts, instead
    // of the plain HTTP registry.
    std::optional<LocalRegistry> restart_with_untrusted_tls() {
        std::string key = fs::join(sandbox_->path(), "self.key");
        std::string cert = fs::join(sandbox_->path(), "self.pem");
        auto generated = run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                              key, "-out", cert, "-days", "1", "-subj", "/CN=nobody.test"});
        if (!generated || generated->exit_code != 0)
            return std::nullopt;
        registry_->stop();
        return LocalRegistry::start(sandbox_->path(), storage_, {}, cert, key);
    }

    std::optional<fs::TempDir> sandbox_;
    std::string storage_;
    std::optional<LocalRegistry> registry_;
    std::unique_ptr<Store> store_;
    TestImage image_;
    std::string archive_;
};

TEST_F(PullTest, PullsDockerSchema2GzipAndReusesLayers) {
    push("corral/app:1");
    std::vector<ProgressRecord> records;
    std::string name = registry_->host() + "/corral/app:1";
    auto pulled = store_->pull(name, {}, [&](const ProgressRecord& r) { records.push_back(r); });
    ASSERT_TRUE(pulled) << pulled.error().message();
    EXPECT_EQ(pulled->id, image_.id);  // the config travels unchanged
    EXPECT_TRUE(pulled->downloaded_newer);
    EXPECT_EQ(pulled->reference, name);
    ASSERT_FALSE(records.empty());
    EXPECT_EQ(records.front().status, "Pulling fs layer");
    EXPECT_EQ(records.back().status, "Pull complete");
    int completes = 0;
    for (const auto& record : records)
        completes += record.status == "Pull complete";
    EXPECT_EQ(completes, 2);

    auto image = store_->resolve(name);
    ASSERT_TRUE(image);
    EXPECT_EQ(image->repo_tags, std::vector<std::string>{name});
    ASSERT_EQ(image->repo_digests.size(), 1u);
    EXPECT_EQ(image->repo_digests[0], registry_->host() + "/corral/app@" + pulled->digest);
    EXPECT_TRUE(store_->resolve(registry_->host() + "/corral/app@" + pulled->digest));
    auto dirs = store_->layer_dirs(image->id);
    ASSERT_TRUE(dirs);
    EXPECT_EQ(*fs::read_file(fs::join((*dirs)[1], "etc/motd")), "hi");

    records.clear();
    auto again = store_->pull(name, {}, [&](const ProgressRecord& r) { records.push_back(r); });
    ASSERT_TRUE(again) << again.error().message();
    EXPECT_FALSE(again->downloaded_newer);
    ASSERT_EQ(records.size(), 2u);
    for (const auto& record : records)
        EXPECT_EQ(record.status, "Already exists");

    // By digest.
    auto by_digest = store_->pull(registry_->host() + "/corral/app@" + pulled->digest);
    ASSERT_TRUE(by_digest) << by_digest.error().message();
    EXPECT_EQ(by_digest->id, image_.id);
}

TEST_F(PullTest, PullsOciManifestsWithZstdLayers) {
    push("corral/zstd:1", {"--format", "oci", "--dest-compress-format", "zstd"});
    auto manifest = run({"curl", "-sf", "-H", "Accept: application/vnd.oci.image.manifest.v1+json",
                         "http://" + registry_->host() + "/v2/corral/zstd/manifests/1"});
    ASSERT_TRUE(manifest);
    EXPECT_NE(manifest->out.find("tar+zstd"), std::string::npos) << manifest->out;
    auto pulled = store_->pull(registry_->host() + "/corral/zstd:1");
    ASSERT_TRUE(pulled) << pulled.error().message();
    // Converting to OCI rewrites the config (a new id) but not the layers' content.
    auto image = store_->resolve(pulled->id);
    ASSERT_TRUE(image);
    EXPECT_EQ(image->config.env, (std::vector<std::string>{"PATH=/usr/bin:/bin", "MARKER=pulled"}));
    EXPECT_EQ(image->config.diff_ids[0], sha256_digest(image_.layers[0]));
    EXPECT_EQ(image->config.diff_ids[1], sha256_digest(image_.layers[1]));
    auto dirs = store_->layer_dirs(pulled->id);
    ASSERT_TRUE(dirs);
    EXPECT_EQ(*fs::read_file(fs::join((*dirs)[0], "bin/sh")), "shell");
}

TEST_F(PullTest, PicksLinuxAmd64FromAManifestList) {
    push("corral/multi:single");
    auto head =
        run({"curl", "-sfI", "-H", "Accept: application/vnd.docker.distribution.manifest.v2+json",
             "http://" + registry_->host() + "/v2/corral/multi/manifests/single"});
    ASSERT_TRUE(head);
    auto manifest =
        run({"curl", "-sf", "-H", "Accept: application/vnd.docker.distribution.manifest.v2+json",
             "http://" + registry_->host() + "/v2/corral/multi/manifests/single"});
    ASSERT_TRUE(manifest);
    std::string digest = sha256_digest(manifest->out);
    nlohmann::json list = {
        {"schemaVersion", 2},
        {"mediaType", "application/vnd.docker.distribution.manifest.list.v2+json"},
        {"manifests",
         {{{"mediaType", "application/vnd.docker.distribution.manifest.v2+json"},
           {"digest", digest},
           {"size", manifest->out.size()},
           {"platform", {{"architecture", "arm64"}, {"os", "linux"}}}},
          {{"mediaType", "application/vnd.docker.distribution.manifest.v2+json"},
           {"digest", digest},
           {"size", manifest->out.size()},
           {"platform", {{"architecture", "amd64"}, {"os", "linux"}}}}}}};
    std::string body = list.dump();
    auto put = run(
        {"curl", "-sf", "-X", "PUT", "-H",
         "Content-Type: application/vnd.docker.distribution.manifest.list.v2+json", "--data-binary",
         "@-", "http://" + registry_->host() + "/v2/corral/multi/manifests/list"},
        body);
    ASSERT_TRUE(put);
    ASSERT_EQ(put->exit_code, 0) << put->err;
    auto pulled = store_->pull(registry_->host() + "/corral/multi:list");
    ASSERT_TRUE(pulled) << pulled.error().message();
    EXPECT_EQ(pulled->id, image_.id);
    EXPECT_EQ(pulled->digest, sha256_digest(body));  // the list's digest is the repo digest

    // No entry for our platform: a clear error.
    StoreOptions options;
    options.platform_architecture = "s390x";
    auto other = Store::open(fs::join(sandbox_->path(), "other"), options);
    ASSERT_TRUE(other);
    auto missing = (*other)->pull(registry_->host() + "/corral/multi:list");
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message().find("no matching manifest for linux/s390x"),
              std::string::npos)
        << missing.error().message();
}

TEST_F(PullTest, ErrorsNameTheUrlAndTheRegistryMessage) {
    auto missing = store_->pull(registry_->host() + "/corral/none:1");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().kind(), ErrorKind::not_found);
    EXPECT_NE(missing.error().message().find("http://" + registry_->host() +
                                             "/v2/corral/none/manifests/1: 404"),
              std::string::npos)
        << missing.error().message();
    EXPECT_NE(missing.error().message().find("unknown"), std::string::npos)
        << missing.error().message();

    int closed_port = testing::free_port();
    auto refused = store_->pull("127.0.0.1:" + std::to_string(closed_port) + "/x:1");
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind(), ErrorKind::unavailable);
    EXPECT_NE(refused.error().message().find("http://127.0.0.1:" + std::to_string(closed_port)),
              std::string::npos)
        << refused.error().message();
    EXPECT_TRUE(store_->list().empty());
}

TEST_F(PullTest, BearerTokenAuthAgainstATokenServer) {
    push("corral/secret:1");
    registry_->stop();
    auto token = testing::make_registry_token(sandbox_->path(), "corral-issuer", "corral-registry",
                                              "corral/secret");
    ASSERT_TRUE(token) << "openssl could not make a token";
    testing::TokenServer server("Basic " + testing::base64_encode("alice:wonder", false), *token);
    std::string auth_config =
        "auth:\n  token:\n    realm: http://127.0.0.1:" + std::to_string(server.port()) +
        "/token\n    service: corral-registry\n    issuer: corral-issuer\n"
        "    rootcertbundle: " +
        fs::join(sandbox_->path(), "signer.pem") + "\n";
    auto secured = LocalRegistry::start(sandbox_->path(), storage_, auth_config);
    ASSERT_TRUE(secured);
    std::string name = secured->host() + "/corral/secret:1";

    auto anonymous = store_->pull(name);
    ASSERT_FALSE(anonymous);
    EXPECT_EQ(anonymous.error().kind(), ErrorKind::permission_denied)
        << anonymous.error().message();
    EXPECT_NE(anonymous.error().message().find("/token?service=corral-registry"), std::string::npos)
        << anonymous.error().message();

    RegistryAuth wrong{"alice", "guess", "", ""};
    EXPECT_FALSE(store_->pull(name, wrong));

    RegistryAuth auth{"alice", "wonder", "", ""};
    auto pulled = store_->pull(name, auth);
    ASSERT_TRUE(pulled) << pulled.error().message();
    EXPECT_EQ(pulled->id, image_.id);
    auto requests = server.requests();
    ASSERT_FALSE(requests.empty());
    EXPECT_NE(requests.back().find("scope=repository%3Acorral%2Fsecret%3Apull"), std::string::npos)
        << requests.back();
    EXPECT_NE(requests.back().find("[authorized]"), std::string::npos);

    // A token handed in directly (the API's RegistryToken) skips the token server.
    auto other = Store::open(fs::join(sandbox_->path(), "other"));
    ASSERT_TRUE(other);
    size_t before = server.requests().size();
    RegistryAuth direct{"", "", "", *token};
    auto with_token = (*other)->pull(name, direct);
    ASSERT_TRUE(with_token) << with_token.error().message();
    EXPECT_EQ(server.requests().size(), before);
}

TEST_F(PullTest, HttpsWithTheCaFileOfCertsD) {
    std::string key = fs::join(sandbox_->path(), "server.key");
    std::string cert = fs::join(sandbox_->path(), "server.pem");
    auto generated = run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                          key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
                          "subjectAltName=IP:127.0.0.1"});
    ASSERT_TRUE(generated);
    ASSERT_EQ(generated->exit_code, 0) << generated->err;
    push("corral/tls:1");
    registry_->stop();
    auto secure = LocalRegistry::start(sandbox_->path(), storage_, {}, cert, key);
    ASSERT_TRUE(secure);
    std::string name = secure->host() + "/corral/tls:1";

    // No CA for it: a loopback registry is spoken to over plain HTTP, which a TLS server refuses.
    auto plain = store_->pull(name);
    ASSERT_FALSE(plain);
    EXPECT_NE(plain.error().message().find("http://" + secure->host()), std::string::npos)
        << plain.error().message();

    // A wrong CA: TLS verification fails, naming the URL.
    std::string certs = fs::join(sandbox_->path(), "image/certs.d/" + secure->host());
    ASSERT_TRUE(fs::mkdir_p(certs));
    ASSERT_TRUE(fs::write_file_atomic(fs::join(certs, "ca.crt"),
                                      *fs::read_file(fs::join(sandbox_->path(), "server.pem"))));
    auto other_key = fs::join(sandbox_->path(), "other.key");
    auto other_cert = fs::join(sandbox_->path(), "other.pem");
    ASSERT_EQ(run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", other_key,
                   "-out", other_cert, "-days", "1", "-subj", "/CN=other"})
                  ->exit_code,
              0);
    auto reopened = Store::open(fs::join(sandbox_->path(), "image"));
    ASSERT_TRUE(reopened);
    auto pulled = (*reopened)->pull(name);
    ASSERT_TRUE(pulled) << pulled.error().message();
    EXPECT_EQ(pulled->id, image_.id);

    ASSERT_TRUE(fs::write_file_atomic(fs::join(certs, "ca.crt"), *fs::read_file(other_cert)));
    auto untrusted = (*reopened)->pull(secure->host() + "/corral/tls:2");
    ASSERT_FALSE(untrusted);
    EXPECT_EQ(untrusted.error().kind(), ErrorKind::unavailable);
    EXPECT_NE(untrusted.error().message().find("https://" + secure->host()), std::string::npos)
        << untrusted.error().message();
}

TEST_F(PullTest, InsecureRegistryOverHttpsWithAnyCertificateElseHttp) {
    push("corral/insecure:1");
    std::string name = registry_->host() + "/corral/insecure:1";
    StoreOptions insecure;
    insecure.insecure_registries = {registry_->host()};

    // Plain HTTP: HTTPS fails below HTTP, the client falls back.
    auto over_http = Store::open(fs::join(sandbox_->path(), "over-http"), insecure);
    ASSERT_TRUE(over_http);
    auto pulled = (*over_http)->pull(name);
    ASSERT_TRUE(pulled) << pulled.error().message();
    EXPECT_EQ(pulled->id, image_.id);

    // The same registry over TLS with a certificate nobody trusts: taken as it is.
    auto secure = restart_with_untrusted_tls();
    ASSERT_TRUE(secure);
    std::string secure_name = secure->host() + "/corral/insecure:1";
    RegistryOptions options;
    options.insecure_registries = {secure->host()};
    auto client = RegistryClient::create(secure->host(), {}, options);
    ASSERT_TRUE(client);
    auto manifest = (*client)->get_manifest("corral/insecure", "1");
    ASSERT_TRUE(manifest) << manifest.error().message();
    EXPECT_EQ((*client)->base_url(), "https://" + secure->host());

    // A store given them (system-dockerd --insecure-registry, through api::DaemonOptions).
    StoreOptions store_options;
    store_options.insecure_registries = {secure->host()};
    auto defaulted = Store::open(fs::join(sandbox_->path(), "over-https"), store_options);
    ASSERT_TRUE(defaulted);
    auto over_https = (*defaulted)->pull(secure_name);
    ASSERT_TRUE(over_https) << over_https.error().message();
    EXPECT_EQ(over_https->id, image_.id);

    // Not listed: a loopback registry without a CA is plain HTTP, which the TLS server refuses.
    auto plain = Store::open(fs::join(sandbox_->path(), "plain"));
    ASSERT_TRUE(plain);
    EXPECT_FALSE((*plain)->pull(secure_name));
}

// PID 1's system engine reads rancher.system_docker.insecure_registry at each pull: the source
// is asked every time and its answer replaces insecure_registries.
TEST_F(PullTest, InsecureRegistriesSourceIsAskedAtEachPull) {
    push("corral/insecure:1");
    auto secure = restart_with_untrusted_tls();
    ASSERT_TRUE(secure);
    std::string name = secure->host() + "/corral/insecure:1";
    std::vector<std::string> configured;
    int asked = 0;
    StoreOptions options;
    options.insecure_registries = {secure->host()};
    options.insecure_registries_source = [&] {
        ++asked;
        return configured;
    };
    auto store = Store::open(fs::join(sandbox_->path(), "sourced"), options);
    ASSERT_TRUE(store);
    // Not listed by the source: plain HTTP for a loopback registry, which TLS refuses.
    EXPECT_FALSE((*store)->pull(name));
    EXPECT_EQ(asked, 1);
    configured = {secure->host()};
    auto pulled = (*store)->pull(name);
    ASSERT_TRUE(pulled) << pulled.error().message();
    EXPECT_EQ(pulled->id, image_.id);
    EXPECT_EQ(asked, 2);
}

// GET /info reports what a pull would use now: the source's answer when there is one.
TEST_F(PullTest, StoreTellsTheInsecureRegistriesOfTheNextPull) {
    StoreOptions fixed;
    fixed.insecure_registries = {"registry.lan:5000", "10.0.0.0/8"};
    auto store = Store::open(fs::join(sandbox_->path(), "fixed"), fixed);
    ASSERT_TRUE(store);
    EXPECT_EQ((*store)->insecure_registries(), fixed.insecure_registries);
    std::vector<std::string> configured = {"other.lan:5000"};
    StoreOptions sourced = fixed;
    sourced.insecure_registries_source = [&] { return configured; };
    auto followed = Store::open(fs::join(sandbox_->path(), "sourced"), sourced);
    ASSERT_TRUE(followed);
    EXPECT_EQ((*followed)->insecure_registries(), configured);
    configured.clear();
    EXPECT_TRUE((*followed)->insecure_registries().empty());
}

TEST(InsecureRegistry, ChecksEntries) {
    for (const char* good : {"registry.lan:5000", "registry.lan", "10.1.2.3:5000", "[::1]:5000",
                             "10.0.0.0/8", "192.168.1.0/24", "fd00::/8", "0.0.0.0/0"})
        EXPECT_TRUE(check_insecure_registry(good)) << good;
    for (const char* bad : {"", "http://registry.lan:5000", "registry.lan:5000/path", "10.0.0.0/33",
                            "10.0.0.0/", "10.0.0.0/x", "a b", "fd00::/129"})
        EXPECT_FALSE(check_insecure_registry(bad)) << bad;
}

TEST(InsecureRegistry, MatchesNamesExactlyAndAddressesByRange) {
    std::vector<std::string> entries = {"registry.lan:5000", "10.20.0.0/16", "fd00:1::/32",
                                        "192.168.7.128/25"};
    EXPECT_TRUE(is_insecure_registry("registry.lan:5000", entries));
    EXPECT_FALSE(is_insecure_registry("registry.lan:5001", entries));
    EXPECT_FALSE(is_insecure_registry("registry.lan", entries));
    EXPECT_TRUE(is_insecure_registry("10.20.3.4:5000", entries));
    EXPECT_TRUE(is_insecure_registry("10.20.255.255", entries));
    EXPECT_FALSE(is_insecure_registry("10.21.0.1:5000", entries));
    EXPECT_TRUE(is_insecure_registry("[fd00:1:ffff::2]:5000", entries));
    EXPECT_FALSE(is_insecure_registry("[fd00:2::2]:5000", entries));
    EXPECT_TRUE(is_insecure_registry("192.168.7.200:443", entries));
    EXPECT_FALSE(is_insecure_registry("192.168.7.100:443", entries));
    EXPECT_FALSE(is_insecure_registry("docker.io", {}));
}

TEST(InsecureRegistry, RangesCoverNamesResolvingIntoThem) {
    std::vector<std::string> asked;
    HostResolver resolve = [&](const std::string& host) -> std::vector<std::string> {
        asked.push_back(host);
        if (host == "ten-twenty.lan")
            return {"192.0.2.1", "10.20.9.9"};
        if (host == "v6.lan")
            return {"fd00:1::7"};
        if (host == "elsewhere.lan")
            return {"10.21.0.1"};
        return {};
    };
    std::vector<std::string> entries = {"registry.lan:5000", "10.20.0.0/16", "fd00:1::/32"};
    EXPECT_TRUE(is_insecure_registry("ten-twenty.lan:5000", entries, resolve));
    EXPECT_TRUE(is_insecure_registry("v6.lan", entries, resolve));
    EXPECT_FALSE(is_insecure_registry("elsewhere.lan:443", entries, resolve));
    EXPECT_FALSE(is_insecure_registry("unresolved.lan", entries, resolve));
    EXPECT_EQ(asked, (std::vector<std::string>{"ten-twenty.lan", "v6.lan", "elsewhere.lan",
                                               "unresolved.lan"}));
    // Names are asked for only when there is a range to match, addresses never.
    asked.clear();
    EXPECT_TRUE(is_insecure_registry("registry.lan:5000", entries, resolve));
    EXPECT_FALSE(is_insecure_registry("other.lan:5000", {"registry.lan:5000"}, resolve));
    EXPECT_TRUE(is_insecure_registry("10.20.1.1:5000", entries, resolve));
    EXPECT_TRUE(asked.empty());
    // The system's resolver: localhost is a loopback address.
    EXPECT_TRUE(is_insecure_registry("localhost:5000", {"127.0.0.0/8", "::1/128"}));
}

TEST(InsecureRegistry, ListsRangesByNetworkAndNamesOnce) {
    auto list = list_insecure_registries({"registry.lan:5000", "10.20.3.4/16", "fd00:1:2::9/32",
                                          "192.168.7.200/25", "registry.lan:5000", "10.20.0.0/16",
                                          "10.1.2.3:5000", "0.0.0.0/0"});
    EXPECT_EQ(list.ranges, (std::vector<std::string>{"10.20.0.0/16", "fd00:1::/32",
                                                     "192.168.7.128/25", "0.0.0.0/0"}));
    EXPECT_EQ(list.names, (std::vector<std::string>{"registry.lan:5000", "10.1.2.3:5000"}));
    auto none = list_insecure_registries({});
    EXPECT_TRUE(none.ranges.empty());
    EXPECT_TRUE(none.names.empty());
}

TEST(WwwAuthenticate, ParsesBearerAndBasicChallenges) {
    auto bearer = parse_www_authenticate(
        R"(Bearer realm="https://auth.example/token",service="registry.example",)"
        R"(scope="repository:a/b:pull,push")");
    EXPECT_EQ(bearer[""], "bearer");
    EXPECT_EQ(bearer["realm"], "https://auth.example/token");
    EXPECT_EQ(bearer["service"], "registry.example");
    EXPECT_EQ(bearer["scope"], "repository:a/b:pull,push");
    auto basic = parse_www_authenticate(R"(Basic realm="Registry Realm")");
    EXPECT_EQ(basic[""], "basic");
    EXPECT_EQ(basic["realm"], "Registry Realm");
}

}  // namespace
}  // namespace corral::image
