#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

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

std::string mount_options_of(const std::string& target) {
    for (const auto& line : read_lines("/proc/self/mountinfo"))
        if (line.find(" " + target + " ") != std::string::npos)
            return line;
    return {};
}

// A discarded upper dir (--rm) is mounted `volatile`, and mounts again after an unmount (the
// kernel's work/incompat/volatile marker is cleared first).
TEST(Rootfs, DiscardedUpperIsVolatileAndRemounts) {
    SKIP_UNLESS_WORLD();
    auto dir = fs::TempDir::create(world().root, "layers");
    ASSERT_TRUE(dir);
    ASSERT_TRUE(fs::mkdir_p(dir->path() + "/low"));
    ASSERT_TRUE(fs::write_file_atomic(dir->path() + "/low/f", "low"));
    std::string target = dir->path() + "/merged";
    for (int round = 0; round < 2; ++round) {
        auto mount = RootfsMount::create({dir->path() + "/low"}, dir->path() + "/upper",
                                         dir->path() + "/work", target, true);
        ASSERT_TRUE(mount) << "round " << round << ": " << mount.error().message();
        EXPECT_NE(mount_options_of(target).find("volatile"), std::string::npos)
            << mount_options_of(target);
        ASSERT_TRUE(fs::write_file_atomic(target + "/written", "x"));
        EXPECT_EQ(*fs::read_file(dir->path() + "/upper/written"), "x");
    }
    // A kept upper dir is not volatile.
    auto kept = RootfsMount::create({dir->path() + "/low"}, dir->path() + "/upper2",
                                    dir->path() + "/work2", target);
    ASSERT_TRUE(kept) << kept.error().message();
    EXPECT_EQ(mount_options_of(target).find("volatile"), std::string::npos);
}

ino_t inode_of(const std::string& path) {
    struct stat info {};
    return ::lstat(path.c_str(), &info) == 0 ? info.st_ino : 0;
}

mode_t mode_of(const std::string& path) {
    struct stat info {};
    return ::lstat(path.c_str(), &info) == 0 ? info.st_mode : 0;
}

// The init layer: dev, proc, sys and three empty files in etc, nothing else; made once, and
// made again when found otherwise.
TEST(Rootfs, InitLayerIsMadeOnceAndRepaired) {
    SKIP_UNLESS_WORLD();
    auto dir = fs::TempDir::create(world().root, "init-layer");
    ASSERT_TRUE(dir);
    std::string layer = dir->path() + "/init-layer";
    auto check = [&] {
        EXPECT_EQ(*fs::list_dir(layer), (std::vector<std::string>{"dev", "etc", "proc", "sys"}));
        EXPECT_EQ(*fs::list_dir(layer + "/etc"),
                  (std::vector<std::string>{"hostname", "hosts", "resolv.conf"}));
        EXPECT_EQ(mode_of(layer), S_IFDIR | 0755);
        EXPECT_EQ(mode_of(layer + "/proc"), S_IFDIR | 0755);
        EXPECT_EQ(mode_of(layer + "/etc/hosts"), S_IFREG | 0644);
        EXPECT_EQ(*fs::read_file(layer + "/etc/resolv.conf"), "");
    };
    ASSERT_TRUE(prepare_init_layer(layer));
    check();
    ino_t first = inode_of(layer);
    ASSERT_TRUE(prepare_init_layer(layer));
    EXPECT_EQ(inode_of(layer), first) << "a complete layer is kept";

    // Content, an extra entry, a mode: each makes it anew.
    ASSERT_TRUE(fs::write_file_atomic(layer + "/etc/hosts", "10.0.0.1 stale\n"));
    ASSERT_TRUE(prepare_init_layer(layer));
    check();
    ASSERT_TRUE(fs::write_file_atomic(layer + "/etc/passwd", "root:x:0:0::/:/bin/sh\n"));
    ASSERT_TRUE(prepare_init_layer(layer));
    check();
    ASSERT_EQ(::chmod((layer + "/sys").c_str(), 0700), 0);
    ASSERT_TRUE(prepare_init_layer(layer));
    check();
    EXPECT_FALSE(*fs::exists(layer + ".new"));
    EXPECT_FALSE(*fs::exists(layer + ".old"));
}

// Laid over an image, the init layer adds its mount points and covers the image's own
// /etc/hosts (a bind mount covers it in a container anyway); the rest of /etc is the image's.
TEST(Rootfs, InitLayerOverAnImage) {
    SKIP_UNLESS_WORLD();
    auto dir = fs::TempDir::create(world().root, "init-layer");
    ASSERT_TRUE(dir);
    std::string image = dir->path() + "/image";
    ASSERT_TRUE(fs::mkdir_p(image + "/etc"));
    ASSERT_TRUE(fs::write_file_atomic(image + "/etc/hosts", "image hosts\n"));
    ASSERT_TRUE(fs::write_file_atomic(image + "/etc/passwd", "root:x:0:0::/:/bin/sh\n"));
    std::string layer = dir->path() + "/init-layer";
    ASSERT_TRUE(prepare_init_layer(layer));
    std::string target = dir->path() + "/merged";
    auto mount =
        RootfsMount::create({image, layer}, dir->path() + "/upper", dir->path() + "/work", target);
    ASSERT_TRUE(mount) << mount.error().message();
    EXPECT_EQ(*fs::read_file(target + "/etc/hosts"), "");
    EXPECT_EQ(*fs::read_file(target + "/etc/passwd"), "root:x:0:0::/:/bin/sh\n");
    EXPECT_EQ(mode_of(target + "/proc"), S_IFDIR | 0755);
    EXPECT_TRUE(fs::list_dir(dir->path() + "/upper")->empty());
}

// crun pinned on a read-only overlay: what crun's own check reads from /proc/self/exe (no
// seals: not a tmpfs file, which is why a bind mount of the binary was not enough on a tmpfs
// root), runs, cannot be written through, and a second pin in the same namespace keeps the
// first mount.
TEST(Runtime, PinnedCrunIsAReadOnlyOverlayFileAndRuns) {
    SKIP_UNLESS_WORLD();
    auto dir = fs::TempDir::create(world().root, "pinned");
    ASSERT_TRUE(dir);
    auto pinned = pin_runtime_binary(world().options.crun_path, dir->path());
    ASSERT_TRUE(pinned) << pinned.error().message();
    EXPECT_EQ(fs::dirname(*pinned), dir->path() + "/bin");
    {
        int copy = ::open(pinned->c_str(), O_RDONLY | O_CLOEXEC);
        ASSERT_GE(copy, 0);
        EXPECT_LT(::fcntl(copy, F_GET_SEALS), 0);
        EXPECT_EQ(errno, EINVAL);
        ::close(copy);
    }
    EXPECT_STREQ(::getenv("_LIBCONTAINER_CLONED_BINARY"), "1");
    int fd = ::open(pinned->c_str(), O_WRONLY | O_CLOEXEC);
    EXPECT_LT(fd, 0);
    EXPECT_EQ(errno, EROFS);
    if (fd >= 0)
        ::close(fd);
    auto version = run({*pinned, "--version"});
    ASSERT_TRUE(version);
    EXPECT_EQ(version->exit_code, 0);
    EXPECT_NE(version->out.find("crun"), std::string::npos);
    auto again = pin_runtime_binary(world().options.crun_path, dir->path());
    ASSERT_TRUE(again) << again.error().message();
    EXPECT_EQ(*again, *pinned);
    EXPECT_FALSE(pin_runtime_binary("no-such-runtime-anywhere", dir->path()));
    ASSERT_EQ(::umount2(fs::dirname(*pinned).c_str(), MNT_DETACH), 0);
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
