#include <sys/mount.h>

#include "runtime/capabilities.h"
#include "runtime/host_mode.h"
#include "support.h"

namespace corral::runtime::testing {
namespace {

// Enough layers with long paths that the lowerdir option would not fit in a page.
TEST(Rootfs, ManyLayersWithLongPaths) {
    SKIP_UNLESS_WORLD();
    auto dir = fs::TempDir::create(world().root, "layers");
    ASSERT_TRUE(dir);
    std::vector<std::string> lowers;
    for (int i = 0; i < 100; ++i) {
        std::string layer =
            dir->path() + "/" + std::string(60, 'a' + i % 26) + "-" + std::to_string(i) + "/diff";
        ASSERT_TRUE(fs::mkdir_p(layer));
        ASSERT_TRUE(fs::write_file_atomic(layer + "/file", std::to_string(i)));
        ASSERT_TRUE(fs::write_file_atomic(layer + "/only-" + std::to_string(i), "x"));
        lowers.push_back(layer);
    }
    std::string target = dir->path() + "/merged";
    {
        auto mount =
            RootfsMount::create(lowers, dir->path() + "/upper", dir->path() + "/work", target);
        ASSERT_TRUE(mount) << mount.error().message();
        // The highest layer (last given) wins; every layer is visible.
        auto top = fs::read_file(target + "/file");
        ASSERT_TRUE(top);
        EXPECT_EQ(*top, "99");
        EXPECT_TRUE(*fs::exists(target + "/only-0"));
        EXPECT_TRUE(*fs::exists(target + "/only-99"));
    }
    // Unmounted when the object dies.
    EXPECT_FALSE(*fs::exists(target + "/file"));
}

TEST(Rootfs, FewLayersAndRelease) {
    SKIP_UNLESS_WORLD();
    auto dir = fs::TempDir::create(world().root, "layers");
    ASSERT_TRUE(dir);
    ASSERT_TRUE(fs::mkdir_p(dir->path() + "/low"));
    ASSERT_TRUE(fs::mkdir_p(dir->path() + "/high"));
    ASSERT_TRUE(fs::write_file_atomic(dir->path() + "/low/f", "low"));
    ASSERT_TRUE(fs::write_file_atomic(dir->path() + "/high/f", "high"));
    std::string target = dir->path() + "/merged";
    auto mount = RootfsMount::create({dir->path() + "/low", dir->path() + "/high"},
                                     dir->path() + "/upper", dir->path() + "/work", target);
    ASSERT_TRUE(mount) << mount.error().message();
    EXPECT_EQ(*fs::read_file(target + "/f"), "high");
    EXPECT_EQ(mount->release(), target);
    EXPECT_TRUE(*fs::exists(target + "/f"));
    ASSERT_EQ(::umount2(target.c_str(), MNT_DETACH), 0);
}

TEST(HostMode, Cgroup2IsMountedInOurNamespace) {
    SKIP_UNLESS_WORLD();
    auto cgroup2 = is_cgroup2(world().options.cgroup_mount);
    ASSERT_TRUE(cgroup2);
    EXPECT_TRUE(*cgroup2);
    EXPECT_FALSE(*is_cgroup2("/tmp"));
}

TEST(Capabilities, Normalize) {
    EXPECT_EQ(*normalize_capability("sys_admin"), "CAP_SYS_ADMIN");
    EXPECT_EQ(*normalize_capability("CAP_KILL"), "CAP_KILL");
    EXPECT_EQ(*normalize_capability("all"), "ALL");
    EXPECT_FALSE(normalize_capability("CAP_NOPE"));
    EXPECT_EQ(default_capabilities().size(), 14u);
    EXPECT_GE(all_capabilities().size(), 38u);
}

}  // namespace
}  // namespace corral::runtime::testing
