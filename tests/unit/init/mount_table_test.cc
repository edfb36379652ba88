#include "init/mount_table.h"

#include <gtest/gtest.h>

namespace corral::init {
namespace {

TEST(MountTable, FieldsOfEachLineInOrder) {
    auto table = parse_mount_table(
        "1 1 0:2 / / rw - rootfs rootfs rw\n"
        "22 1 0:20 / /proc rw,nosuid shared:5 - proc proc rw\n"
        "36 22 254:0 /state/home /home rw,relatime master:1 shared:9 - ext4 /dev/vda rw\n");
    ASSERT_EQ(table.size(), 3u);
    EXPECT_EQ(table[0].mount_point, "/");
    EXPECT_EQ(table[0].type, "rootfs");
    EXPECT_EQ(table[0].source, "rootfs");
    EXPECT_EQ(table[1].mount_point, "/proc");
    EXPECT_EQ(table[1].type, "proc");
    EXPECT_EQ(table[2].mount_point, "/home");
    EXPECT_EQ(table[2].type, "ext4");
    EXPECT_EQ(table[2].source, "/dev/vda");
}

TEST(MountTable, OctalEscapesAreDecoded) {
    auto table = parse_mount_table("40 1 0:30 / /mnt/a\\040b\\134c rw - tmpfs my\\011src rw\n");
    ASSERT_EQ(table.size(), 1u);
    EXPECT_EQ(table[0].mount_point, "/mnt/a b\\c");
    EXPECT_EQ(table[0].source, "my\tsrc");
    // A backslash not followed by three octal digits stays as it is.
    table = parse_mount_table("40 1 0:30 / /x\\09 rw - tmpfs a\\ rw\n");
    ASSERT_EQ(table.size(), 1u);
    EXPECT_EQ(table[0].mount_point, "/x\\09");
    EXPECT_EQ(table[0].source, "a\\");
}

TEST(MountTable, MalformedLinesAreSkipped) {
    auto table = parse_mount_table(
        "\n"
        "garbage\n"
        "1 2 3 4\n"
        "5 6 0:1 / /no-separator rw shared:1 tmpfs none rw\n"
        "7 8 0:1 / /no-type rw -\n"
        "9 10 0:1 / /good rw - tmpfs none rw");  // no final newline
    ASSERT_EQ(table.size(), 1u);
    EXPECT_EQ(table[0].mount_point, "/good");
    EXPECT_EQ(table[0].type, "tmpfs");
}

TEST(MountTable, ThisProcessHasARootMount) {
    auto table = read_mount_table();
    ASSERT_TRUE(table) << table.error().message();
    bool root = false;
    for (const auto& entry : *table)
        root = root || entry.mount_point == "/";
    EXPECT_TRUE(root);
    EXPECT_FALSE(read_mount_table("/nonexistent/mountinfo"));
}

}  // namespace
}  // namespace corral::init
