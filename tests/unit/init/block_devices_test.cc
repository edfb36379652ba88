#include "init/block_devices.h"

#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <vector>

#include "base/fs.h"
#include "base/process.h"
#include "base/sys.h"

namespace corral::init {
namespace {

std::vector<uint8_t> blank() {
    return std::vector<uint8_t>(kIdentifyBytes, 0);
}

TEST(Identify, BlankIsNothing) {
    EXPECT_FALSE(identify_file_system(blank()));
}

TEST(Identify, Ext4SuperblockLabel) {
    auto head = blank();
    head[1024 + 0x38] = 0x53;
    head[1024 + 0x39] = 0xEF;
    std::memcpy(&head[1024 + 0x78], "RANCHER_STATE", 13);
    auto identity = identify_file_system(head);
    ASSERT_TRUE(identity);
    EXPECT_EQ(identity->type, "ext4");
    EXPECT_EQ(identity->label, "RANCHER_STATE");
}

TEST(Identify, SixteenByteLabelWithoutTerminator) {
    auto head = blank();
    head[1024 + 0x38] = 0x53;
    head[1024 + 0x39] = 0xEF;
    std::memcpy(&head[1024 + 0x78], "ABCDEFGHIJKLMNOPQRS", 19);  // spills past the field
    EXPECT_EQ(identify_file_system(head)->label, "ABCDEFGHIJKLMNOP");
}

TEST(Identify, IsoVolumeIdTrimmed) {
    auto head = blank();
    head[32768] = 1;
    std::memcpy(&head[32769], "CD001", 5);
    std::memset(&head[32768 + 40], ' ', 32);
    std::memcpy(&head[32768 + 40], "cidata", 6);
    auto identity = identify_file_system(head);
    ASSERT_TRUE(identity);
    EXPECT_EQ(identity->type, "iso9660");
    EXPECT_EQ(identity->label, "cidata");
}

TEST(Identify, FatLabels) {
    auto head = blank();
    head[510] = 0x55;
    head[511] = 0xAA;
    std::memcpy(&head[82], "FAT32   ", 8);
    std::memcpy(&head[71], "CONFIG-2   ", 11);
    EXPECT_EQ(identify_file_system(head)->label, "CONFIG-2");
    auto fat16 = blank();
    fat16[510] = 0x55;
    fat16[511] = 0xAA;
    std::memcpy(&fat16[54], "FAT16   ", 8);
    std::memcpy(&fat16[43], "CIDATA     ", 11);
    EXPECT_EQ(identify_file_system(fat16)->label, "CIDATA");
}

TEST(Identify, TruncatedHeadIsSafe) {
    std::vector<uint8_t> tiny(100, 0xEF);
    EXPECT_FALSE(identify_file_system(tiny));
    EXPECT_FALSE(identify_file_system({}));
}

class ImageFile : public ::testing::Test {
  protected:
    void SetUp() override {
        auto dir = fs::TempDir::create("/tmp", "corral-block");
        ASSERT_TRUE(dir);
        dir_.emplace(std::move(*dir));
        path_ = dir_->path() + "/disk.img";
        std::ofstream(path_).close();
        ASSERT_EQ(::truncate(path_.c_str(), 8 << 20), 0);
    }
    std::optional<fs::TempDir> dir_;
    std::string path_;
};

TEST_F(ImageFile, ZeroedUntilWrittenThenFormattedByMke2fsIsFound) {
    auto zeroed = device_is_zeroed(path_);
    ASSERT_TRUE(zeroed);
    EXPECT_TRUE(*zeroed);
    auto result = run({"mke2fs", "-q", "-F", "-t", "ext4", "-L", "RANCHER_STATE", path_});
    ASSERT_TRUE(result);
    ASSERT_EQ(result->exit_code, 0) << result->err;
    EXPECT_FALSE(*device_is_zeroed(path_));
    auto identity = identify_device(path_);
    ASSERT_TRUE(identity) << identity.error().message();
    ASSERT_TRUE(*identity);
    EXPECT_EQ((*identity)->type, "ext4");
    EXPECT_EQ((*identity)->label, "RANCHER_STATE");
}

TEST_F(ImageFile, EmptyFileIsNotZeroedDisk) {
    ASSERT_EQ(::truncate(path_.c_str(), 0), 0);
    EXPECT_FALSE(*device_is_zeroed(path_));
}

TEST(FindDevice, PathThatExistsOrNot) {
    auto found = find_device("/dev/null");
    ASSERT_TRUE(found);
    EXPECT_EQ(**found, "/dev/null");
    auto missing = find_device("/dev/corral-no-such-disk");
    ASSERT_TRUE(missing);
    EXPECT_FALSE(*missing);
}

TEST(FindDevice, WaitReturnsAfterTheDeadlineWhenAbsent) {
    auto found = wait_for_device("LABEL=CORRAL_NO_SUCH_LABEL_EVER", 0);
    ASSERT_TRUE(found);
    EXPECT_FALSE(*found);
}

// The module loading ends: one more scan, then the wait gives up long before its timeout.
TEST(FindDevice, WaitStopsWhenTheStopFdIsReadable) {
    int stop = ::eventfd(1, EFD_CLOEXEC);
    ASSERT_GE(stop, 0);
    int64_t begin = sys::monotonic_ns();
    auto found = wait_for_device("LABEL=CORRAL_NO_SUCH_LABEL_EVER", 600, stop);
    ::close(stop);
    ASSERT_TRUE(found) << found.error().message();
    EXPECT_FALSE(*found);
    EXPECT_LT(sys::monotonic_ns() - begin, int64_t(30) * 1'000'000'000);
}

}  // namespace
}  // namespace corral::init
