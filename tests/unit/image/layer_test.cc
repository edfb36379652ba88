#include "image/layer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "base/fs.h"
#include "base/sys.h"
#include "image/digest.h"
#include "tar_builder.h"

namespace corral::image {
namespace {

using testing::Compression;
using testing::TarBuilder;

class LayerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto dir = fs::TempDir::create("/tmp", "layer-test");
        ASSERT_TRUE(dir);
        sandbox_.emplace(std::move(*dir));
        target_ = fs::join(sandbox_->path(), "target");
        victim_ = fs::join(sandbox_->path(), "victim");
        ASSERT_TRUE(fs::mkdir_p(target_));
        ASSERT_TRUE(fs::mkdir_p(victim_));
        ASSERT_TRUE(fs::write_file_atomic(fs::join(victim_, "keep"), "original"));
    }

    ErrorOr<UnpackResult> unpack(const std::string& bytes, UnpackOptions options = {}) {
        UniqueFd fd(testing::open_bytes(sandbox_->path(), "layer.tar", bytes));
        return unpack_layer(fd.get(), target_, options);
    }

    // Nothing outside the target may change: the sandbox holds only target/, victim/keep
    // (unchanged) and the layer file.
    void expect_outside_untouched() {
        auto names = fs::list_dir(sandbox_->path());
        ASSERT_TRUE(names);
        EXPECT_EQ(*names, (std::vector<std::string>{"layer.tar", "target", "victim"}));
        auto victim = fs::list_dir(victim_);
        ASSERT_TRUE(victim);
        EXPECT_EQ(*victim, std::vector<std::string>{"keep"});
        EXPECT_EQ(*fs::read_file(fs::join(victim_, "keep")), "original");
    }

    void expect_refused(const std::string& bytes, const std::string& entry) {
        auto result = unpack(bytes);
        ASSERT_FALSE(result) << "accepted a hostile layer with " << entry;
        EXPECT_EQ(result.error().kind(), ErrorKind::invalid_argument);
        EXPECT_NE(result.error().message().find(entry), std::string::npos)
            << result.error().message();
        expect_outside_untouched();
    }

    std::optional<fs::TempDir> sandbox_;
    std::string target_;
    std::string victim_;
};

TEST_F(LayerTest, UnpacksFilesDirectoriesLinksWithMetadata) {
    std::string tar = TarBuilder()
                          .dir("bin", 0755, 1600000000)
                          .file("bin/tool", "#!/bin/sh\necho hi\n", 04755, 1000, 1001, 1650000000)
                          .symlink("bin/alias", "tool")
                          .hardlink("bin/tool2", "bin/tool")
                          .file("etc/conf", "a=b", 0600)
                          .device("dev/fifo", AE_IFIFO, 0, 0)
                          .finish();
    auto result = unpack(tar);
    ASSERT_TRUE(result) << result.error().message();
    EXPECT_EQ(result->diff_id, sha256_digest(tar));
    EXPECT_EQ(result->size, 18 + 3);
    EXPECT_EQ(result->entries, 6u);

    auto tool = sys::lstat(fs::join(target_, "bin/tool"));
    ASSERT_TRUE(tool);
    EXPECT_EQ(tool->st_mode & 07777, 04755u);
    EXPECT_EQ(tool->st_uid, 1000u);
    EXPECT_EQ(tool->st_gid, 1001u);
    EXPECT_EQ(tool->st_mtim.tv_sec, 1650000000);
    EXPECT_EQ(tool->st_nlink, 2u);
    auto tool2 = sys::lstat(fs::join(target_, "bin/tool2"));
    ASSERT_TRUE(tool2);
    EXPECT_EQ(tool2->st_ino, tool->st_ino);
    EXPECT_EQ(*sys::readlink(fs::join(target_, "bin/alias")), "tool");
    auto bin = sys::lstat(fs::join(target_, "bin"));
    ASSERT_TRUE(bin);
    EXPECT_EQ(bin->st_mtim.tv_sec, 1600000000);  // set after its children were written
    EXPECT_EQ(*fs::read_file(fs::join(target_, "etc/conf")), "a=b");
    auto fifo = sys::lstat(fs::join(target_, "dev/fifo"));
    ASSERT_TRUE(fifo);
    EXPECT_TRUE(S_ISFIFO(fifo->st_mode));
    expect_outside_untouched();
}

TEST_F(LayerTest, DiffIdIsTheDigestOfTheUncompressedTarForEveryCompression) {
    for (auto compression : {Compression::none, Compression::gzip, Compression::zstd}) {
        ASSERT_TRUE(fs::remove_tree(target_));
        ASSERT_TRUE(fs::mkdir_p(target_));
        std::string plain = TarBuilder().file("hello", "world").finish();
        std::string packed = TarBuilder(compression).file("hello", "world").finish();
        auto result = unpack(packed);
        ASSERT_TRUE(result) << result.error().message();
        EXPECT_EQ(result->diff_id, sha256_digest(plain));
        EXPECT_EQ(*fs::read_file(fs::join(target_, "hello")), "world");
    }
}

TEST_F(LayerTest, WhiteoutsBecomeOverlayWhiteoutsAndOpaqueDirectories) {
    std::string tar = TarBuilder()
                          .dir("etc")
                          .file("etc/.wh.removed", "")
                          .dir("var/cache")
                          .file("var/cache/.wh..wh..opq", "")
                          .file("var/cache/fresh", "new")
                          .file(".wh..wh.plnk", "")
                          .finish();
    auto result = unpack(tar);
    ASSERT_TRUE(result) << result.error().message();
    auto whiteout = sys::lstat(fs::join(target_, "etc/removed"));
    ASSERT_TRUE(whiteout);
    EXPECT_TRUE(S_ISCHR(whiteout->st_mode));
    EXPECT_EQ(whiteout->st_rdev, makedev(0, 0));
    EXPECT_FALSE(*fs::exists(fs::join(target_, "etc/.wh.removed")));
    char value[8] = {};
    ssize_t length = ::getxattr(fs::join(target_, "var/cache").c_str(), "trusted.overlay.opaque",
                                value, sizeof value);
    ASSERT_EQ(length, 1);
    EXPECT_EQ(value[0], 'y');
    EXPECT_FALSE(*fs::exists(fs::join(target_, "var/cache/.wh..wh..opq")));
    EXPECT_EQ(*fs::read_file(fs::join(target_, "var/cache/fresh")), "new");
    EXPECT_FALSE(*fs::exists(fs::join(target_, ".wh..wh.plnk")));
}

TEST_F(LayerTest, WhiteoutsStayPlainFilesWhenTurnedOff) {
    UnpackOptions options;
    options.whiteouts = false;
    auto result = unpack(TarBuilder().file(".wh.x", "").finish(), options);
    ASSERT_TRUE(result);
    EXPECT_TRUE(*fs::exists(fs::join(target_, ".wh.x")));
}

TEST_F(LayerTest, LaterEntriesReplaceEarlierOnes) {
    std::string tar = TarBuilder()
                          .file("a", "file")
                          .dir("a")
                          .file("a/b", "inside")
                          .dir("d")
                          .file("d/x", "1")
                          .file("d", "now a file")
                          .finish();
    auto result = unpack(tar);
    ASSERT_TRUE(result) << result.error().message();
    EXPECT_EQ(*fs::read_file(fs::join(target_, "a/b")), "inside");
    EXPECT_EQ(*fs::read_file(fs::join(target_, "d")), "now a file");
}

TEST_F(LayerTest, RefusesAbsolutePaths) {
    expect_refused(TarBuilder().file("/abs/file", "x").finish(), "/abs/file");
    expect_refused(TarBuilder().file("ok", "x").file("/tmp/victim", "pwned").finish(),
                   "/tmp/victim");
    auto result = unpack(TarBuilder().file("/abs/file", "x").finish());
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message().find("absolute path"), std::string::npos)
        << result.error().message();
    EXPECT_FALSE(*fs::exists(fs::join(target_, "abs")));
}

TEST_F(LayerTest, SymlinksInsideTheLayerAreFollowedInsideIt) {
    std::string tar = TarBuilder()
                          .dir("usr/bin")
                          .symlink("bin", "usr/bin")
                          .file("bin/ls", "ls")
                          .symlink("usr/lib64", "../lib")
                          .file("usr/lib64/libc", "c")
                          .finish();
    auto result = unpack(tar);
    ASSERT_TRUE(result) << result.error().message();
    EXPECT_EQ(*fs::read_file(fs::join(target_, "usr/bin/ls")), "ls");
    EXPECT_EQ(*fs::read_file(fs::join(target_, "lib/libc")), "c");
    expect_outside_untouched();
}

TEST_F(LayerTest, RefusesDotDotPaths) {
    expect_refused(TarBuilder().file("../victim/keep", "pwned").finish(), "../victim/keep");
    expect_refused(TarBuilder().file("a/../../victim/x", "pwned").finish(), "a/../../victim/x");
}

TEST_F(LayerTest, RefusesWritingThroughAbsoluteSymlinks) {
    expect_refused(TarBuilder().symlink("link", "/etc").file("link/passwd", "root::0:0").finish(),
                   "link/passwd");
    expect_refused(TarBuilder().symlink("link", victim_).file("link/keep", "pwned").finish(),
                   "link/keep");
}

TEST_F(LayerTest, RefusesWritingThroughRelativeSymlinksThatClimbOut) {
    expect_refused(TarBuilder().symlink("up", "../victim").file("up/keep", "pwned").finish(),
                   "up/keep");
    expect_refused(TarBuilder()
                       .dir("a/b")
                       .symlink("a/b/c", "../../..")
                       .file("a/b/c/victim/keep", "pwned")
                       .finish(),
                   "a/b/c/victim/keep");
    // A chain: each link stays inside, the last one leaves.
    expect_refused(TarBuilder()
                       .symlink("one", "two")
                       .symlink("two", "three/..")
                       .dir("three")
                       .symlink("three/out", "../../victim")
                       .file("one/three/out/keep", "pwned")
                       .finish(),
                   "one/three/out/keep");
}

TEST_F(LayerTest, RefusesHardlinksToTargetsOutsideTheLayer) {
    expect_refused(TarBuilder().hardlink("passwd", "/etc/passwd").finish(), "passwd");
    expect_refused(TarBuilder().hardlink("keep", "../victim/keep").finish(), "keep");
    expect_refused(TarBuilder().symlink("link", victim_).hardlink("stolen", "link/keep").finish(),
                   "stolen");
}

TEST_F(LayerTest, ReplacingASymlinkWithAFileDoesNotWriteThroughIt) {
    std::string tar =
        TarBuilder().symlink("keep", fs::join(victim_, "keep")).file("keep", "replaced").finish();
    auto result = unpack(tar);
    ASSERT_TRUE(result) << result.error().message();
    EXPECT_EQ(*fs::read_file(fs::join(target_, "keep")), "replaced");
    expect_outside_untouched();
}

TEST_F(LayerTest, RefusesDeviceNodesUnlessAllowed) {
    std::string tar = TarBuilder().device("dev/sda", AE_IFBLK, 8, 0).finish();
    expect_refused(tar, "dev/sda");
    ASSERT_TRUE(fs::remove_tree(target_));
    ASSERT_TRUE(fs::mkdir_p(target_));
    UnpackOptions options;
    options.allow_device_nodes = true;
    auto result = unpack(tar, options);
    ASSERT_TRUE(result) << result.error().message();
    auto st = sys::lstat(fs::join(target_, "dev/sda"));
    ASSERT_TRUE(st);
    EXPECT_TRUE(S_ISBLK(st->st_mode));
    // 0/0 character devices are whiteouts and always allowed.
    ASSERT_TRUE(unpack(TarBuilder().device("gone", AE_IFCHR, 0, 0).finish()));
}

TEST_F(LayerTest, RefusesGarbage) {
    auto result = unpack(std::string(3000, 'x'));
    ASSERT_FALSE(result);
    expect_outside_untouched();
}

TEST_F(LayerTest, KeepsExtendedAttributes) {
    auto result = unpack(TarBuilder().xattr_file("f", "x", "user.note", "hello").finish());
    ASSERT_TRUE(result) << result.error().message();
    char value[16] = {};
    ssize_t length = ::getxattr(fs::join(target_, "f").c_str(), "user.note", value, sizeof value);
    if (length < 0 && errno == ENOTSUP)
        GTEST_SKIP() << "user xattrs unsupported on /tmp";
    ASSERT_EQ(length, 5);
    EXPECT_EQ(std::string(value, 5), "hello");
}

TEST_F(LayerTest, IgnoresOverlayAttributesFromTheTar) {
    auto result =
        unpack(TarBuilder().xattr_file("f", "x", "trusted.overlay.redirect", "/etc").finish());
    ASSERT_TRUE(result) << result.error().message();
    char value[16] = {};
    EXPECT_LT(
        ::getxattr(fs::join(target_, "f").c_str(), "trusted.overlay.redirect", value, sizeof value),
        0);
}

TEST(OpenInTree, FollowsInnerSymlinksAndRefusesEscapes) {
    auto dir = fs::TempDir::create("/tmp", "tree-test");
    ASSERT_TRUE(dir);
    ASSERT_TRUE(fs::mkdir_p(fs::join(dir->path(), "blobs/sha256")));
    ASSERT_TRUE(fs::write_file_atomic(fs::join(dir->path(), "blobs/sha256/abc"), "blob"));
    ASSERT_TRUE(fs::mkdir_p(fs::join(dir->path(), "layer1")));
    ASSERT_TRUE(sys::symlink("../blobs/sha256/abc", fs::join(dir->path(), "layer1/layer.tar")));
    ASSERT_TRUE(sys::symlink("/etc/passwd", fs::join(dir->path(), "evil")));
    ASSERT_TRUE(sys::symlink("../../etc/passwd", fs::join(dir->path(), "evil2")));
    auto fd = open_in_tree(dir->path(), "layer1/layer.tar");
    ASSERT_TRUE(fd) << fd.error().message();
    char buffer[8] = {};
    EXPECT_EQ(::read(fd->get(), buffer, sizeof buffer), 4);
    EXPECT_FALSE(open_in_tree(dir->path(), "evil"));
    EXPECT_FALSE(open_in_tree(dir->path(), "evil2"));
    EXPECT_FALSE(open_in_tree(dir->path(), "../etc/passwd"));
}

}  // namespace
}  // namespace corral::image
