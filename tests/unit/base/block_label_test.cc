// The label reader against file systems made by the real tools in image files.
#include "base/block_label.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <thread>

#include "base/fs.h"
#include "base/process.h"

namespace corral::block {
namespace {

class BlockLabel : public ::testing::Test {
  protected:
    void SetUp() override {
        auto dir = fs::TempDir::create("/tmp", "corral-label");
        ASSERT_TRUE(dir);
        dir_.emplace(std::move(*dir));
    }
    // An image file of `megabytes` zeros.
    std::string image(const std::string& name, off_t megabytes) {
        std::string path = dir_->path() + "/" + name;
        std::ofstream(path).close();
        EXPECT_EQ(::truncate(path.c_str(), megabytes << 20), 0);
        return path;
    }
    void make(const std::vector<std::string>& command) {
        auto result = run(command);
        ASSERT_TRUE(result) << result.error().message();
        ASSERT_EQ(result->exit_code, 0) << command[0] << ": " << result->err;
    }
    FileSystemIdentity identity_of(const std::string& path) {
        auto identity = identify_device(path);
        EXPECT_TRUE(identity) << identity.error().message();
        if (!identity || !*identity)
            return {};
        return **identity;
    }
    std::optional<fs::TempDir> dir_;
};

TEST_F(BlockLabel, Ext4MadeByMke2fs) {
    auto path = image("state.img", 8);
    make({"mke2fs", "-q", "-F", "-t", "ext4", "-L", "RANCHER_STATE", path});
    auto identity = identity_of(path);
    EXPECT_EQ(identity.type, "ext4");
    EXPECT_EQ(identity.label, "RANCHER_STATE");
}

TEST_F(BlockLabel, VfatMadeByMkfsFat) {
    auto path = image("fat16.img", 16);
    make({"mkfs.vfat", "-F", "16", "-n", "CIDATA", path});
    auto identity = identity_of(path);
    EXPECT_EQ(identity.type, "vfat");
    EXPECT_EQ(identity.label, "CIDATA");
}

TEST_F(BlockLabel, Fat32MadeByMkfsFat) {
    auto path = image("fat32.img", 40);
    make({"mkfs.vfat", "-F", "32", "-n", "config-2", path});
    auto identity = identity_of(path);
    EXPECT_EQ(identity.type, "vfat");
    // As written (cloud-init compares labels in lower case).
    EXPECT_EQ(identity.label, "config-2");
}

TEST_F(BlockLabel, Iso9660MadeByXorriso) {
    std::string content = dir_->path() + "/content";
    ASSERT_TRUE(fs::mkdir_p(content));
    std::ofstream(content + "/user-data") << "#cloud-config\n";
    std::string path = dir_->path() + "/cidata.iso";
    make({"xorriso", "-as", "mkisofs", "-quiet", "-V", "cidata", "-J", "-R", "-o", path, content});
    auto identity = identity_of(path);
    EXPECT_EQ(identity.type, "iso9660");
    EXPECT_EQ(identity.label, "cidata");
}

TEST_F(BlockLabel, ZeroedImageAndNonOpticalDeviceHaveNoIdentity) {
    auto zeroed = identify_device(image("zero.img", 1));
    ASSERT_TRUE(zeroed) << zeroed.error().message();
    EXPECT_FALSE(*zeroed);
    // A character device: CDROM_DRIVE_STATUS fails with ENOTTY, reading it gives nothing.
    auto null_device = identify_device("/dev/null");
    ASSERT_TRUE(null_device) << null_device.error().message();
    EXPECT_FALSE(*null_device);
    // A short file: too small for any signature.
    std::ofstream(dir_->path() + "/short") << "CD001";
    auto short_file = identify_device(dir_->path() + "/short");
    ASSERT_TRUE(short_file);
    EXPECT_FALSE(*short_file);
}

TEST_F(BlockLabel, MissingDeviceIsAnErrorNamingIt) {
    auto missing = identify_device(dir_->path() + "/no-such-disk");
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message().find("no-such-disk"), std::string::npos)
        << missing.error().message();
}

// A sysfs-like tree: loop/ram devices and devices of size 0 (an empty CD-ROM drive) are left
// out, the rest come sorted.
TEST_F(BlockLabel, ListSkipsLoopRamAndEmptyDrives) {
    std::string sys = dir_->path() + "/sys-class-block";
    auto device = [&](const std::string& name, const std::string& size) {
        ASSERT_TRUE(fs::mkdir_p(sys + "/" + name));
        std::ofstream(sys + "/" + name + "/size") << size << "\n";
    };
    device("vda", "8388608");
    device("sr0", "0");
    device("loop0", "100");
    device("ram0", "100");
    device("sda1", "2048");
    device("sr1", "1362");
    EXPECT_EQ(list_block_devices(sys), (std::vector<std::string>{"sda1", "sr1", "vda"}));
    EXPECT_TRUE(list_block_devices(dir_->path() + "/none").empty());
}

}  // namespace
// The wait of cloud-init for the disks' drivers: none without the marker, until it goes, or
// the timeout.
TEST(DiskDrivers, WaitEndsWhenTheMarkerGoesOrTheTimeIsUp) {
    auto dir = fs::TempDir::create("/tmp", "corral-marker");
    ASSERT_TRUE(dir);
    std::string marker = dir->path() + "/disk-drivers-loading";
    EXPECT_TRUE(wait_for_disk_drivers(0, marker));
    ASSERT_TRUE(fs::write_file_atomic(marker, ""));
    EXPECT_FALSE(wait_for_disk_drivers(0, marker));
    std::thread remover([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        ::unlink(marker.c_str());
    });
    EXPECT_TRUE(wait_for_disk_drivers(30, marker));
    remover.join();
}

}  // namespace corral::block
