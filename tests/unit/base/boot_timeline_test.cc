#include "base/boot_timeline.h"

#include <gtest/gtest.h>

#include "base/fs.h"

namespace corral {
namespace {

TEST(BootTimeline, RecordAtWritesTheGivenTimeAfterTheEarlierLines) {
    auto dir = fs::TempDir::create("/tmp", "boot-timeline-test");
    ASSERT_TRUE(dir);
    std::string path = fs::join(dir->path(), "boot-timeline");
    ASSERT_TRUE(fs::write_file_atomic(path, boot_timeline::format_line(0, "kernel")));
    ASSERT_TRUE(boot_timeline::record_at(1.5, "modules loaded", path));
    ASSERT_TRUE(boot_timeline::record_at(0.25, "earlier, recorded late", path));
    auto text = fs::read_file(path);
    ASSERT_TRUE(text);
    EXPECT_EQ(*text, "0.000 kernel\n1.500 modules loaded\n0.250 earlier, recorded late\n");
}

TEST(BootTimeline, RecordWritesTheCurrentTime) {
    auto dir = fs::TempDir::create("/tmp", "boot-timeline-test");
    ASSERT_TRUE(dir);
    std::string path = fs::join(dir->path(), "boot-timeline");
    double before = boot_timeline::now_seconds();
    ASSERT_TRUE(boot_timeline::record("now", path));
    double after = boot_timeline::now_seconds();
    auto text = fs::read_file(path);
    ASSERT_TRUE(text);
    ASSERT_TRUE(text->ends_with(" now\n")) << *text;
    double seconds = std::stod(*text);
    EXPECT_GE(seconds, before - 0.001);
    EXPECT_LE(seconds, after + 0.001);
}

}  // namespace
}  // namespace corral
