#include "engine/volume_copy.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <optional>

#include "base/fs.h"
#include "base/sys.h"

namespace corral::engine {
namespace {

class VolumeCopyTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto dir = fs::TempDir::create("/tmp", "volume-copy-test");
        ASSERT_TRUE(dir);
        sandbox_.emplace(std::move(*dir));
        lower_ = fs::join(sandbox_->path(), "lower");
        upper_ = fs::join(sandbox_->path(), "upper");
        volume_ = fs::join(sandbox_->path(), "volume");
        for (const auto& dir : {lower_, upper_, volume_})
            ASSERT_TRUE(fs::mkdir_p(dir));
    }

    void file(const std::string& layer, const std::string& path, const std::string& content) {
        ASSERT_TRUE(fs::mkdir_p(fs::dirname(fs::join(layer, path))));
        ASSERT_TRUE(fs::write_file_atomic(fs::join(layer, path), content, 0640));
    }

    std::vector<std::string> listing(const std::string& path) {
        auto names = fs::list_dir(fs::join(volume_, path));
        return names ? *names : std::vector<std::string>{};
    }

    std::optional<fs::TempDir> sandbox_;
    std::string lower_, upper_, volume_;
};

TEST_F(VolumeCopyTest, CopiesTheMergedDirectory) {
    file(lower_, "data/a", "lower a");
    file(lower_, "data/b", "lower b");
    file(lower_, "data/sub/deep", "deep");
    file(upper_, "data/b", "upper b");
    file(upper_, "data/c", "upper c");
    ASSERT_TRUE(sys::symlink("a", fs::join(upper_, "data/link")));
    ASSERT_TRUE(copy_image_path({lower_, upper_}, "/data", volume_));
    EXPECT_EQ(listing(""), (std::vector<std::string>{"a", "b", "c", "link", "sub"}));
    EXPECT_EQ(*fs::read_file(fs::join(volume_, "a")), "lower a");
    EXPECT_EQ(*fs::read_file(fs::join(volume_, "b")), "upper b");
    EXPECT_EQ(*fs::read_file(fs::join(volume_, "sub/deep")), "deep");
    EXPECT_EQ(*sys::readlink(fs::join(volume_, "link")), "a");
    EXPECT_EQ(sys::lstat(fs::join(volume_, "c"))->st_mode & 07777, 0640u);
}

TEST_F(VolumeCopyTest, WhiteoutsAndOpaqueDirectoriesHideLowerContent) {
    file(lower_, "data/gone", "x");
    file(lower_, "data/opaque/old", "x");
    file(upper_, "data/opaque/new", "y");
    if (::mknod(fs::join(upper_, "data/gone").c_str(), S_IFCHR | 0600, makedev(0, 0)) < 0 ||
        ::setxattr(fs::join(upper_, "data/opaque").c_str(), "trusted.overlay.opaque", "y", 1, 0) <
            0)
        GTEST_SKIP() << "needs CAP_MKNOD and trusted xattrs";
    ASSERT_TRUE(copy_image_path({lower_, upper_}, "data", volume_));
    EXPECT_EQ(listing(""), std::vector<std::string>{"opaque"});
    EXPECT_EQ(listing("opaque"), std::vector<std::string>{"new"});
}

TEST_F(VolumeCopyTest, LeavesAVolumeWithContentAlone) {
    file(lower_, "data/a", "image");
    file(volume_, "mine", "kept");
    ASSERT_TRUE(copy_image_path({lower_}, "/data", volume_));
    EXPECT_EQ(listing(""), std::vector<std::string>{"mine"});
}

TEST_F(VolumeCopyTest, NothingForAMissingPathOrOneThroughASymlink) {
    ASSERT_TRUE(copy_image_path({lower_}, "/absent", volume_));
    EXPECT_TRUE(listing("").empty());
    file(lower_, "real/a", "x");
    ASSERT_TRUE(sys::symlink("real", fs::join(upper_, "alias")));
    ASSERT_TRUE(copy_image_path({lower_, upper_}, "/alias", volume_));
    EXPECT_TRUE(listing("").empty());
    // A file in an upper layer replaces a lower directory.
    file(lower_, "replaced/a", "x");
    file(upper_, "replaced", "now a file");
    ASSERT_TRUE(copy_image_path({lower_, upper_}, "/replaced", volume_));
    EXPECT_TRUE(listing("").empty());
}

}  // namespace
}  // namespace corral::engine
