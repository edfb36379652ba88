#include "image/store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include <thread>

#include "base/fs.h"
#include "base/process.h"
#include "base/sys.h"
#include "image/digest.h"
#include "image_builder.h"

namespace corral::image {
namespace {

using testing::Compression;
using testing::TarBuilder;
using testing::TestImage;

class StoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto dir = fs::TempDir::create("/tmp", "store-test");
        ASSERT_TRUE(dir);
        sandbox_.emplace(std::move(*dir));
        root_ = fs::join(sandbox_->path(), "image");
        auto store = Store::open(root_);
        ASSERT_TRUE(store) << store.error().message();
        store_ = std::move(*store);
    }

    UniqueFd bytes_fd(const std::string& bytes) {
        return UniqueFd(
            testing::open_bytes(sandbox_->path(), "input-" + std::to_string(++files_), bytes));
    }
    ErrorOr<std::vector<LoadedImage>> load(Store& store, const std::string& bytes) {
        UniqueFd fd = bytes_fd(bytes);
        return store.load(fd.get());
    }
    ErrorOr<std::vector<LoadedImage>> load(const std::string& bytes) {
        return load(*store_, bytes);
    }

    // A base layer and one on top that deletes and hides things of the base.
    static TestImage two_layer_image(const std::string& marker) {
        std::string base = TarBuilder()
                               .dir("bin")
                               .file("bin/sh", "shell", 0755)
                               .file("etc/removed", "old")
                               .dir("cache")
                               .file("cache/stale", "stale")
                               .finish();
        std::string top = TarBuilder()
                              .file("etc/.wh.removed", "")
                              .dir("cache")
                              .file("cache/.wh..wh..opq", "")
                              .file("cache/fresh", "fresh")
                              .file("etc/marker", marker)
                              .finish();
        return testing::make_image({base, top}, marker);
    }

    std::optional<fs::TempDir> sandbox_;
    std::string root_;
    std::unique_ptr<Store> store_;
    int files_ = 0;
};

TEST_F(StoreTest, LoadsDockerArchiveAndResolvesByNameAndId) {
    TestImage image = two_layer_image("one");
    std::vector<ProgressRecord> records;
    UniqueFd fd = bytes_fd(testing::docker_archive({{image, {"busybox:latest", "corral/x:1"}}}));
    auto loaded = store_->load(fd.get(), [&](const ProgressRecord& r) { records.push_back(r); });
    ASSERT_TRUE(loaded) << loaded.error().message();
    ASSERT_EQ(loaded->size(), 1u);
    EXPECT_EQ((*loaded)[0].id, image.id);
    EXPECT_EQ(load_messages(*loaded), (std::vector<std::string>{"Loaded image: busybox:latest",
                                                                "Loaded image: corral/x:1"}));
    EXPECT_FALSE(records.empty());
    EXPECT_EQ(records.back().status, "Loading layer");

    for (std::string name :
         {std::string("busybox"), std::string("busybox:latest"),
          std::string("docker.io/library/busybox:latest"), image.id, image.id.substr(7),
          image.id.substr(7, 12), image.id.substr(7, 1), std::string("corral/x:1")}) {
        auto resolved = store_->resolve(name);
        ASSERT_TRUE(resolved) << name << ": " << resolved.error().message();
        EXPECT_EQ(resolved->id, image.id) << name;
    }
    auto resolved = *store_->resolve("busybox");
    EXPECT_EQ(resolved.repo_tags, (std::vector<std::string>{"busybox:latest", "corral/x:1"}));
    EXPECT_EQ(resolved.config.env, (std::vector<std::string>{"PATH=/usr/bin:/bin", "MARKER=one"}));
    ASSERT_TRUE(resolved.config.cmd);
    EXPECT_EQ(*resolved.config.cmd, std::vector<std::string>{"sh"});
    EXPECT_FALSE(resolved.config.entrypoint);
    EXPECT_EQ(resolved.config.labels.at("test"), "one");
    EXPECT_EQ(resolved.config.exposed_ports, std::vector<std::string>{"80/tcp"});
    EXPECT_EQ(resolved.config.diff_ids.size(), 2u);
    EXPECT_EQ(resolved.created, 1704164645);
    EXPECT_EQ(resolved.size, 5 + 3 + 5 + 5 + 3);
    EXPECT_EQ(resolved.layer_sizes, (std::vector<int64_t>{13, 8}));

    auto missing = store_->resolve("nothere");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().kind(), ErrorKind::not_found);
    EXPECT_EQ(missing.error().message(), "No such image: nothere:latest");
    EXPECT_EQ(store_->list().size(), 1u);

    auto dirs = store_->layer_dirs(image.id);
    ASSERT_TRUE(dirs);
    ASSERT_EQ(dirs->size(), 2u);
    EXPECT_EQ(*fs::read_file(fs::join((*dirs)[0], "bin/sh")), "shell");
    EXPECT_EQ(*fs::read_file(fs::join((*dirs)[1], "etc/marker")), "one");
}

// The unpacked layers, stacked by overlayfs, show the image's file system: whiteouts hide
// files of lower layers, opaque directories hide their lower contents.
TEST_F(StoreTest, LayersStackWithOverlaySemantics) {
    TestImage image = two_layer_image("overlay");
    ASSERT_TRUE(load(testing::docker_archive({{image, {"overlay:1"}}})));
    auto dirs = store_->layer_dirs("overlay:1");
    ASSERT_TRUE(dirs);
    std::string merged = fs::join(sandbox_->path(), "merged");
    std::string upper = fs::join(sandbox_->path(), "upper");
    std::string work = fs::join(sandbox_->path(), "work");
    for (const auto& dir : {merged, upper, work})
        ASSERT_TRUE(fs::mkdir_p(dir));
    std::string options =
        "lowerdir=" + (*dirs)[1] + ":" + (*dirs)[0] + ",upperdir=" + upper + ",workdir=" + work;
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // A private mount namespace: nothing shows on the host.
        if (::unshare(CLONE_NEWNS) < 0 ||
            ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0)
            ::_exit(10);
        if (::mount("overlay", merged.c_str(), "overlay", 0, options.c_str()) < 0)
            ::_exit(11);
        int code = 0;
        if (::access((merged + "/etc/removed").c_str(), F_OK) == 0)
            code |= 1;  // whiteout did not hide it
        if (::access((merged + "/cache/stale").c_str(), F_OK) == 0)
            code |= 2;  // opaque dir did not hide it
        if (::access((merged + "/cache/fresh").c_str(), F_OK) != 0)
            code |= 4;
        if (::access((merged + "/bin/sh").c_str(), F_OK) != 0)
            code |= 8;
        ::_exit(code);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    if (WEXITSTATUS(status) == 10 || WEXITSTATUS(status) == 11)
        GTEST_SKIP() << "cannot mount overlayfs here";
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(StoreTest, LoadsOciLayoutsWithGzipAndZstdLayers) {
    TestImage gzip_image = two_layer_image("gzip");
    auto loaded =
        load(testing::oci_layout(gzip_image, Compression::gzip, "127.0.0.1:5000/corral/gz:1"));
    ASSERT_TRUE(loaded) << loaded.error().message();
    EXPECT_EQ(load_messages(*loaded),
              std::vector<std::string>{"Loaded image: 127.0.0.1:5000/corral/gz:1"});
    EXPECT_EQ(store_->resolve("127.0.0.1:5000/corral/gz:1")->id, gzip_image.id);

    TestImage zstd_image = two_layer_image("zstd");
    loaded = load(testing::oci_layout(zstd_image, Compression::zstd, "latest"));
    ASSERT_TRUE(loaded) << loaded.error().message();
    // A bare tag names no repository: the image is loaded untagged.
    EXPECT_EQ(load_messages(*loaded),
              std::vector<std::string>{"Loaded image ID: " + zstd_image.id});
    auto dirs = store_->layer_dirs(zstd_image.id);
    ASSERT_TRUE(dirs);
    EXPECT_EQ(*fs::read_file(fs::join((*dirs)[1], "etc/marker")), "zstd");
    // The base layer is shared with the gzip image: unpacked once.
    EXPECT_EQ((*dirs)[0], (*store_->layer_dirs(gzip_image.id))[0]);
    EXPECT_EQ(fs::list_dir(fs::join(root_, "layers"))->size(), 3u);
}

TEST_F(StoreTest, RefusesArchivesThatLieOrEscape) {
    TestImage image = two_layer_image("liar");
    // The layer's content does not match the config's diff id.
    TestImage lying = image;
    lying.layers[1] = TarBuilder().file("etc/marker", "tampered").finish();
    auto loaded = load(testing::docker_archive({{lying, {"liar:1"}}}));
    ASSERT_FALSE(loaded);
    EXPECT_NE(loaded.error().message().find("does not match the diff id"), std::string::npos)
        << loaded.error().message();

    // manifest.json pointing outside the archive.
    std::string escape =
        TarBuilder()
            .file("manifest.json", R"([{"Config":"../../../../etc/passwd","RepoTags":[],)"
                                   R"("Layers":[]}])")
            .finish();
    EXPECT_FALSE(load(escape));
    std::string symlinked =
        TarBuilder()
            .symlink("config.json", "/etc/passwd")
            .file("manifest.json", R"([{"Config":"config.json","RepoTags":[],"Layers":[]}])")
            .finish();
    EXPECT_FALSE(load(symlinked));

    // A layer that writes through a symlink to /etc.
    std::string hostile_layer =
        TarBuilder().symlink("link", "/etc").file("link/corral-pwned", "x").finish();
    TestImage hostile = testing::make_image({hostile_layer}, "hostile");
    loaded = load(testing::docker_archive({{hostile, {"hostile:1"}}}));
    ASSERT_FALSE(loaded);
    EXPECT_NE(loaded.error().message().find("link/corral-pwned"), std::string::npos)
        << loaded.error().message();
    EXPECT_FALSE(*fs::exists("/etc/corral-pwned"));

    EXPECT_FALSE(load(std::string(5000, 'z')));
    EXPECT_FALSE(load(TarBuilder().file("hello", "x").finish()));
    // Nothing registered, nothing left behind.
    EXPECT_TRUE(store_->list().empty());
    EXPECT_TRUE(fs::list_dir(fs::join(root_, "tmp"))->empty());
    EXPECT_EQ(*fs::list_dir(fs::join(root_, "images")), std::vector<std::string>{"retired"});
}

// A trusted archive (the boot medium) takes the diff ids from its image configs instead of
// hashing the layers: a layer that does not match its diff id loads, recorded under the
// config's diff id; the same archive untrusted is refused. Path escapes stay refused either way.
TEST_F(StoreTest, TrustedLoadTakesDiffIdsFromTheConfig) {
    TestImage lying = two_layer_image("trusted");
    lying.layers[1] = TarBuilder().file("etc/marker", "tampered").finish();
    std::string archive = testing::docker_archive({{lying, {"trusted:1"}}});
    ASSERT_FALSE(load(archive));
    UniqueFd fd = bytes_fd(archive);
    auto trusted = store_->load(fd.get(), {}, LoadOptions{.trusted = true});
    ASSERT_TRUE(trusted) << trusted.error().message();
    ASSERT_EQ(trusted->size(), 1u);
    EXPECT_EQ((*trusted)[0].id, lying.id);
    auto dirs = store_->layer_dirs(lying.id);
    ASSERT_TRUE(dirs) << dirs.error().message();
    ASSERT_EQ(dirs->size(), 2u);
    EXPECT_EQ(*fs::read_file(fs::join((*dirs)[1], "etc/marker"), 100), "tampered");

    std::string hostile_layer =
        TarBuilder().symlink("link", "/etc").file("link/corral-pwned", "x").finish();
    TestImage hostile = testing::make_image({hostile_layer}, "hostile");
    UniqueFd hostile_fd = bytes_fd(testing::docker_archive({{hostile, {"hostile:1"}}}));
    EXPECT_FALSE(store_->load(hostile_fd.get(), {}, LoadOptions{.trusted = true}));
    EXPECT_FALSE(*fs::exists("/etc/corral-pwned"));
}

TEST_F(StoreTest, SaveThenLoadRoundTripsIntoAnotherStore) {
    TestImage one = two_layer_image("one");
    TestImage two = two_layer_image("two");
    ASSERT_TRUE(load(testing::docker_archive({{one, {"corral/a:1", "corral/a:2"}}})));
    ASSERT_TRUE(load(testing::oci_layout(two, Compression::gzip, "docker.io/corral/b:1")));
    std::string archive_path = fs::join(sandbox_->path(), "saved.tar");
    {
        auto out = sys::open(archive_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ASSERT_TRUE(out);
        auto saved = store_->save({"corral/a", "corral/b:1"}, out->get());
        ASSERT_TRUE(saved) << saved.error().message();
    }
    auto other = Store::open(fs::join(sandbox_->path(), "other"));
    ASSERT_TRUE(other);
    auto in = sys::open(archive_path, O_RDONLY);
    ASSERT_TRUE(in);
    auto loaded = (*other)->load(in->get());
    ASSERT_TRUE(loaded) << loaded.error().message();
    EXPECT_EQ(load_messages(*loaded),
              (std::vector<std::string>{"Loaded image: corral/a:1", "Loaded image: corral/a:2",
                                        "Loaded image: corral/b:1"}));
    EXPECT_EQ((*other)->resolve("corral/a:2")->id, one.id);
    EXPECT_EQ((*other)->resolve("corral/b:1")->id, two.id);

    // Debian's skopeo reads the same file as a docker-archive and as an OCI archive.
    if (::access("/usr/bin/skopeo", X_OK) == 0) {
        auto docker = run(
            {"skopeo", "inspect", "--config", "docker-archive:" + archive_path + ":corral/b:1"});
        ASSERT_TRUE(docker);
        EXPECT_EQ(docker->exit_code, 0) << docker->err;
        EXPECT_NE(docker->out.find("MARKER=two"), std::string::npos) << docker->out;
        auto oci = run({"skopeo", "inspect", "--config", "oci-archive:" + archive_path});
        ASSERT_TRUE(oci);
        // Several images: skopeo wants one named; the index is still readable.
        std::string copy_dir = fs::join(sandbox_->path(), "copied");
        auto copy = run({"skopeo", "copy", "docker-archive:" + archive_path + ":corral/a:1",
                         "dir:" + copy_dir});
        ASSERT_TRUE(copy);
        EXPECT_EQ(copy->exit_code, 0) << copy->err;
    }
}

// Archives written by another tool: skopeo's oci-archive (gzip layers) and docker-archive.
TEST_F(StoreTest, LoadsArchivesWrittenBySkopeo) {
    if (::access("/usr/bin/skopeo", X_OK) != 0)
        GTEST_SKIP() << "skopeo missing (scripts/setup installs it)";
    TestImage image = two_layer_image("skopeo");
    std::string source = fs::join(sandbox_->path(), "source.tar");
    ASSERT_TRUE(fs::write_file_atomic(source, testing::docker_archive({{image, {}}})));
    std::string oci = fs::join(sandbox_->path(), "oci.tar");
    auto copied = run({"skopeo", "--insecure-policy", "copy", "--quiet", "docker-archive:" + source,
                       "oci-archive:" + oci + ":corral/oci:1"});
    ASSERT_TRUE(copied);
    ASSERT_EQ(copied->exit_code, 0) << copied->err;
    auto oci_fd = sys::open(oci, O_RDONLY);
    ASSERT_TRUE(oci_fd);
    auto loaded = store_->load(oci_fd->get());
    ASSERT_TRUE(loaded) << loaded.error().message();
    EXPECT_EQ(load_messages(*loaded), std::vector<std::string>{"Loaded image: corral/oci:1"});
    auto from_oci = store_->resolve("corral/oci:1");
    ASSERT_TRUE(from_oci);
    EXPECT_EQ(
        from_oci->config.diff_ids,
        (std::vector<std::string>{sha256_digest(image.layers[0]), sha256_digest(image.layers[1])}));
    EXPECT_EQ(from_oci->config.env,
              (std::vector<std::string>{"PATH=/usr/bin:/bin", "MARKER=skopeo"}));

    std::string docker = fs::join(sandbox_->path(), "docker.tar");
    copied = run({"skopeo", "--insecure-policy", "copy", "--quiet", "oci-archive:" + oci,
                  "docker-archive:" + docker + ":corral/docker:2"});
    ASSERT_TRUE(copied);
    ASSERT_EQ(copied->exit_code, 0) << copied->err;
    auto docker_fd = sys::open(docker, O_RDONLY);
    loaded = store_->load(docker_fd->get());
    ASSERT_TRUE(loaded) << loaded.error().message();
    EXPECT_EQ(load_messages(*loaded), std::vector<std::string>{"Loaded image: corral/docker:2"});
    auto dirs = store_->layer_dirs("corral/docker:2");
    ASSERT_TRUE(dirs);
    EXPECT_EQ(*fs::read_file(fs::join((*dirs)[1], "etc/marker")), "skopeo");
}

TEST_F(StoreTest, SavesUntaggedImagesById) {
    TestImage image = two_layer_image("id");
    ASSERT_TRUE(load(testing::docker_archive({{image, {}}})));
    std::string path = fs::join(sandbox_->path(), "byid.tar");
    auto out = sys::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_TRUE(out);
    ASSERT_TRUE(store_->save({image.id.substr(7, 12)}, out->get()));
    auto other = Store::open(fs::join(sandbox_->path(), "other"));
    auto in = sys::open(path, O_RDONLY);
    auto loaded = (*other)->load(in->get());
    ASSERT_TRUE(loaded) << loaded.error().message();
    EXPECT_EQ(load_messages(*loaded), std::vector<std::string>{"Loaded image ID: " + image.id});
    auto missing_out = sys::open(path, O_WRONLY | O_TRUNC);
    auto missing = store_->save({"nothere:1"}, missing_out->get());
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().kind(), ErrorKind::not_found);
}

TEST_F(StoreTest, StateSurvivesReopening) {
    TestImage image = two_layer_image("persist");
    ASSERT_TRUE(load(testing::docker_archive({{image, {"persist:1"}}})));
    ASSERT_TRUE(store_->tag("persist:1", "persist:2"));
    ASSERT_TRUE(fs::mkdir_p(fs::join(root_, "tmp/load-leftover/x")));
    store_.reset();
    auto reopened = Store::open(root_);
    ASSERT_TRUE(reopened);
    auto image_again = (*reopened)->resolve("persist:2");
    ASSERT_TRUE(image_again);
    EXPECT_EQ(image_again->id, image.id);
    EXPECT_EQ(image_again->repo_tags, (std::vector<std::string>{"persist:1", "persist:2"}));
    EXPECT_TRUE(fs::list_dir(fs::join(root_, "tmp"))->empty());
}

TEST_F(StoreTest, TagAndRemoveFollowDocker) {
    TestImage image = two_layer_image("rmi");
    ASSERT_TRUE(load(testing::docker_archive({{image, {"corral/rmi:1"}}})));
    ASSERT_TRUE(store_->tag("corral/rmi:1", "other/name"));
    EXPECT_EQ(store_->resolve("other/name:latest")->id, image.id);
    EXPECT_FALSE(store_->tag("corral/rmi:1", "Bad Name"));
    EXPECT_EQ(store_->tag("nothere", "x").error().kind(), ErrorKind::not_found);

    // By id with two repositories: refused unless forced.
    auto by_id = store_->remove(image.id.substr(7, 12), false);
    ASSERT_FALSE(by_id);
    EXPECT_EQ(by_id.error().kind(), ErrorKind::conflict);
    EXPECT_EQ(by_id.error().message(), "conflict: unable to delete " + image.id.substr(7, 12) +
                                           " (must be forced) - image is referenced in multiple "
                                           "repositories");

    // By name: only untags while another tag is left.
    auto untagged = store_->remove("other/name", false);
    ASSERT_TRUE(untagged) << untagged.error().message();
    ASSERT_EQ(untagged->size(), 1u);
    EXPECT_EQ((*untagged)[0].kind, RemoveRecord::Kind::untagged);
    EXPECT_EQ((*untagged)[0].value, "other/name:latest");
    EXPECT_TRUE(store_->resolve(image.id));

    // In use by a stopped container: refused without force, with docker's wording.
    auto stopped = [](const std::string&) -> std::optional<ImageUser> {
        return ImageUser{"0123456789abcdef0123", false};
    };
    auto refused = store_->remove_image("corral/rmi:1", false, stopped);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().message(),
              "conflict: unable to remove repository reference \"corral/rmi:1\" (must force) - "
              "container 0123456789ab is using its referenced image " +
                  image.id.substr(7, 12));
    auto running = [](const std::string&) -> std::optional<ImageUser> {
        return ImageUser{"fedcba9876543210", true};
    };
    auto hard = store_->remove_image(image.id, true, running);
    ASSERT_FALSE(hard);
    EXPECT_EQ(hard.error().message(), "conflict: unable to delete " + image.id.substr(7, 12) +
                                          " (cannot be forced) - image is being used by running "
                                          "container fedcba987654");
    auto bool_in_use = store_->remove(image.id, false, [](const std::string&) { return true; });
    ASSERT_FALSE(bool_in_use);
    EXPECT_EQ(bool_in_use.error().kind(), ErrorKind::conflict);

    // The last tag: untag and delete, and the layers go with it.
    auto deleted = store_->remove("corral/rmi:1", false);
    ASSERT_TRUE(deleted) << deleted.error().message();
    ASSERT_EQ(deleted->size(), 2u);
    EXPECT_EQ((*deleted)[0].value, "corral/rmi:1");
    EXPECT_EQ((*deleted)[1].kind, RemoveRecord::Kind::deleted);
    EXPECT_EQ((*deleted)[1].value, image.id);
    EXPECT_FALSE(store_->resolve(image.id));
    EXPECT_TRUE(fs::list_dir(fs::join(root_, "layers"))->empty());
    EXPECT_TRUE(fs::list_dir(fs::join(root_, "blobs/sha256"))->empty());
    auto gone = store_->remove("corral/rmi:1", false);
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().kind(), ErrorKind::not_found);
}

TEST_F(StoreTest, ForcedRemoveByIdUntagsEverything) {
    TestImage image = two_layer_image("force");
    TestImage other = two_layer_image("other");
    ASSERT_TRUE(load(testing::docker_archive({{image, {"a:1", "b:1"}}, {other, {"c:1"}}})));
    auto removed = store_->remove(image.id, true);
    ASSERT_TRUE(removed) << removed.error().message();
    ASSERT_EQ(removed->size(), 3u);
    EXPECT_EQ((*removed)[0].value, "a:1");
    EXPECT_EQ((*removed)[1].value, "b:1");
    EXPECT_EQ((*removed)[2].value, image.id);
    // The shared base layer stays for the other image.
    auto dirs = store_->layer_dirs("c:1");
    ASSERT_TRUE(dirs);
    EXPECT_EQ(*fs::read_file(fs::join((*dirs)[0], "bin/sh")), "shell");
    EXPECT_EQ(fs::list_dir(fs::join(root_, "layers"))->size(), 2u);
}

TEST_F(StoreTest, PruneRemovesDanglingImagesNobodyUses) {
    TestImage tagged = two_layer_image("tagged");
    TestImage dangling = two_layer_image("dangling");
    TestImage used = testing::make_image({TarBuilder().file("used", "u").finish()}, "used");
    ASSERT_TRUE(load(testing::docker_archive({{tagged, {"keep:1"}}, {dangling, {}}, {used, {}}})));
    auto users = [&](const std::string& id) -> std::optional<ImageUser> {
        if (id == used.id)
            return ImageUser{"c1", false};
        return std::nullopt;
    };
    auto pruned = store_->prune(false, users);
    ASSERT_TRUE(pruned) << pruned.error().message();
    ASSERT_EQ(pruned->records.size(), 1u);
    EXPECT_EQ(pruned->records[0].value, dangling.id);
    // Its own top layer ("fresh" + "dangling"); the base is shared with "keep:1".
    EXPECT_EQ(pruned->space_reclaimed, 5 + 8);
    EXPECT_TRUE(store_->resolve("keep:1"));
    EXPECT_TRUE(store_->resolve(used.id));

    // A layer left by a load that died before registering its image goes too.
    std::string orphan = fs::join(root_, "layers/" + std::string(64, 'e'));
    ASSERT_TRUE(fs::mkdir_p(fs::join(orphan, "root")));
    ASSERT_TRUE(
        fs::write_file_atomic(fs::join(orphan, "meta.json"),
                              R"({"diff_id":"sha256:)" + std::string(64, 'e') +
                                  R"(","size":7,"tar_size":10240,"blob":"","media_type":"x"})"));
    auto orphans = store_->prune(false, users);
    ASSERT_TRUE(orphans);
    EXPECT_TRUE(orphans->records.empty());
    EXPECT_EQ(orphans->space_reclaimed, 7);
    EXPECT_FALSE(*fs::exists(orphan));

    auto everything = store_->prune(true, users);
    ASSERT_TRUE(everything);
    ASSERT_EQ(everything->records.size(), 2u);
    EXPECT_EQ(everything->records[0].value, "keep:1");
    EXPECT_EQ(everything->records[1].value, tagged.id);
    EXPECT_EQ(store_->list().size(), 1u);
}

TEST_F(StoreTest, ForcedRemovalKeepsLayersForAStoppedContainer) {
    TestImage image = two_layer_image("stopped");
    ASSERT_TRUE(load(testing::docker_archive({{image, {"stopped:1"}}})));
    bool container_exists = true;
    auto users = [&](const std::string& id) -> std::optional<ImageUser> {
        if (container_exists && id == image.id)
            return ImageUser{"abcdef", false};
        return std::nullopt;
    };
    auto removed = store_->remove_image(image.id, true, users);
    ASSERT_TRUE(removed) << removed.error().message();
    ASSERT_EQ(removed->size(), 2u);
    EXPECT_EQ((*removed)[1].value, image.id);
    EXPECT_FALSE(store_->resolve(image.id));
    EXPECT_TRUE(store_->list().empty());
    // The container can still be started: its layers are there, also after a restart.
    store_.reset();
    store_ = std::move(*Store::open(root_));
    auto dirs = store_->layer_dirs(image.id);
    ASSERT_TRUE(dirs) << dirs.error().message();
    EXPECT_EQ(*fs::read_file(fs::join((*dirs)[1], "etc/marker")), "stopped");
    // Once the container is gone, prune frees the layers.
    container_exists = false;
    auto pruned = store_->prune(false, users);
    ASSERT_TRUE(pruned);
    EXPECT_EQ(pruned->space_reclaimed, 13 + 5 + 7);
    EXPECT_FALSE(store_->layer_dirs(image.id));
    EXPECT_TRUE(fs::list_dir(fs::join(root_, "layers"))->empty());
}

TEST_F(StoreTest, AmbiguousIdPrefixesAreNotFound) {
    // Make images until two ids share a first digit.
    std::map<char, std::string> by_first;
    std::string first, second;
    for (int i = 0; i < 40 && first.empty(); ++i) {
        TestImage image = testing::make_image({TarBuilder().file("f", "x").finish()},
                                              "ambiguous" + std::to_string(i));
        ASSERT_TRUE(load(testing::docker_archive({{image, {}}})));
        char digit = image.id[7];
        if (by_first.contains(digit)) {
            first = by_first[digit];
            second = image.id;
        }
        by_first[digit] = image.id;
    }
    ASSERT_FALSE(first.empty());
    auto ambiguous = store_->resolve(first.substr(7, 1));
    ASSERT_FALSE(ambiguous);
    EXPECT_EQ(ambiguous.error().kind(), ErrorKind::not_found);
    EXPECT_TRUE(store_->resolve(first.substr(7, 20)));
}

TEST_F(StoreTest, ImportMakesAOneLayerImageWithChanges) {
    std::string rootfs =
        TarBuilder(Compression::gzip).dir("bin").file("bin/app", "binary", 0755).finish();
    ImportOptions options;
    options.reference = "corral/imported:v1";
    options.changes = {"CMD [\"/bin/app\", \"--serve\"]",
                       "ENTRYPOINT /bin/entry",
                       "ENV A=1 B=\"two words\"",
                       "ENV C three four",
                       "WORKDIR /srv",
                       "USER nobody",
                       "LABEL a=b c=d",
                       "EXPOSE 80 53/udp",
                       "VOLUME [\"/data\"]",
                       "STOPSIGNAL SIGINT"};
    options.message = "from the test";
    UniqueFd fd = bytes_fd(rootfs);
    auto image = store_->import_rootfs(fd.get(), options);
    ASSERT_TRUE(image) << image.error().message();
    EXPECT_EQ(image->repo_tags, std::vector<std::string>{"corral/imported:v1"});
    const ImageConfig& config = image->config;
    EXPECT_EQ(*config.cmd, (std::vector<std::string>{"/bin/app", "--serve"}));
    EXPECT_EQ(*config.entrypoint, (std::vector<std::string>{"/bin/sh", "-c", "/bin/entry"}));
    EXPECT_EQ(config.env, (std::vector<std::string>{"A=1", "B=two words", "C=three four"}));
    EXPECT_EQ(config.working_dir, "/srv");
    EXPECT_EQ(config.user, "nobody");
    EXPECT_EQ(config.labels, (std::map<std::string, std::string>{{"a", "b"}, {"c", "d"}}));
    EXPECT_EQ(config.exposed_ports, (std::vector<std::string>{"53/udp", "80/tcp"}));
    EXPECT_EQ(config.volumes, std::vector<std::string>{"/data"});
    EXPECT_EQ(config.stop_signal, "SIGINT");
    EXPECT_EQ(config.os, "linux");
    EXPECT_EQ(config.comment, "from the test");
    ASSERT_EQ(config.diff_ids.size(), 1u);
    EXPECT_GT(image->created, 1700000000);
    auto dirs = store_->layer_dirs("corral/imported:v1");
    ASSERT_TRUE(dirs);
    EXPECT_EQ(*fs::read_file(fs::join((*dirs)[0], "bin/app")), "binary");

    ImportOptions bad;
    bad.changes = {"RUN rm -rf /"};
    UniqueFd again = bytes_fd(rootfs);
    auto refused = store_->import_rootfs(again.get(), bad);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message().find("unsupported change instruction `RUN`"),
              std::string::npos);
    // A hostile rootfs is refused like a hostile layer.
    UniqueFd hostile = bytes_fd(TarBuilder().file("../escape", "x").finish());
    EXPECT_FALSE(store_->import_rootfs(hostile.get(), {}));
    EXPECT_FALSE(*fs::exists(fs::join(sandbox_->path(), "escape")));
}

TEST_F(StoreTest, ConcurrentLoadsOfTheSameImageBothSucceed) {
    TestImage image = two_layer_image("race");
    std::string archive = testing::docker_archive({{image, {"race:1"}}});
    UniqueFd a = bytes_fd(archive);
    UniqueFd b = bytes_fd(archive);
    ErrorOr<std::vector<LoadedImage>> first = Error::internal("not run");
    ErrorOr<std::vector<LoadedImage>> second = Error::internal("not run");
    std::thread one([&] { first = store_->load(a.get()); });
    std::thread two([&] { second = store_->load(b.get()); });
    for (int i = 0; i < 50; ++i)
        (void)store_->list();
    one.join();
    two.join();
    ASSERT_TRUE(first) << first.error().message();
    ASSERT_TRUE(second) << second.error().message();
    EXPECT_EQ(store_->list().size(), 1u);
    EXPECT_EQ(fs::list_dir(fs::join(root_, "layers"))->size(), 2u);
}

}  // namespace
}  // namespace corral::image
