#include "cli/system_docker_format.h"

#include <gtest/gtest.h>

namespace corral::cli {
namespace {

TEST(Format, HumanDurationsReadLikeDocker) {
    EXPECT_EQ(human_duration(0), "Less than a second");
    EXPECT_EQ(human_duration(1), "1 second");
    EXPECT_EQ(human_duration(5), "5 seconds");
    EXPECT_EQ(human_duration(59), "59 seconds");
    EXPECT_EQ(human_duration(60), "About a minute");
    EXPECT_EQ(human_duration(119), "About a minute");
    EXPECT_EQ(human_duration(120), "2 minutes");
    EXPECT_EQ(human_duration(59 * 60 + 59), "59 minutes");
    EXPECT_EQ(human_duration(3600), "About an hour");
    EXPECT_EQ(human_duration(90 * 60), "2 hours");  // hours round to the nearest
    EXPECT_EQ(human_duration(47 * 3600), "47 hours");
    EXPECT_EQ(human_duration(48 * 3600), "2 days");
    EXPECT_EQ(human_duration(14 * 86400), "2 weeks");
    EXPECT_EQ(human_duration(60 * 86400), "2 months");
    EXPECT_EQ(human_duration(3 * 365 * 86400), "3 years");
}

TEST(Format, HumanSizesUseDecimalUnitsAndThreeDigits) {
    EXPECT_EQ(human_size(0), "0B");
    EXPECT_EQ(human_size(999), "999B");
    EXPECT_EQ(human_size(1000), "1kB");
    EXPECT_EQ(human_size(1981234), "1.98MB");
    EXPECT_EQ(human_size(77856000), "77.9MB");
    EXPECT_EQ(human_size(123456789012.0), "123GB");
}

TEST(Format, ShortIdsAndEllipsis) {
    EXPECT_EQ(short_id("sha256:2fc7182f99af0e9bb3ca23a8b1640a3d"), "2fc7182f99af");
    EXPECT_EQ(short_id("70a871967d534bf51ec16c41"), "70a871967d53");
    EXPECT_EQ(ellipsis("sleep 1000", 20), "sleep 1000");
    EXPECT_EQ(ellipsis("sh -c 'while true; do sleep 1; done'", 20), "sh -c 'while true; …");
    EXPECT_EQ(display_width(ellipsis("sh -c 'while true; do sleep 1; done'", 20)), 20u);
    EXPECT_EQ(ellipsis("ééééé", 3), "éé…");
}

TEST(Format, TimestampsHaveNineFractionDigits) {
    EXPECT_EQ(format_timestamp_ns(1795843000020000000), "2026-11-28T05:16:40.020000000Z");
    EXPECT_EQ(format_timestamp_ns(0), "1970-01-01T00:00:00.000000000Z");
}

TEST(Format, TableAlignsLikeTabwriter) {
    Table table;
    table.add_row({"CONTAINER ID", "IMAGE", "PORTS", "NAMES"});
    table.add_row({"70a871967d53", "busybox", "", "sleeper"});
    EXPECT_EQ(table.render(),
              "CONTAINER ID   IMAGE     PORTS     NAMES\n"
              "70a871967d53   busybox             sleeper\n");
    Table top(20, 1);
    top.add_row({"UID", "PID", "CMD"});
    top.add_row({"root", "12000", "sleep 1000"});
    EXPECT_EQ(top.render(),
              "UID                 PID                 CMD\n"
              "root                12000               sleep 1000\n");
}

TEST(Format, SinceAndUntilValues) {
    const int64_t now = 1795843000LL * 1000000000;
    EXPECT_EQ(*docker_timestamp("1795842000", now), "1795842000");
    EXPECT_EQ(*docker_timestamp("1795842000.5", now), "1795842000.5");
    EXPECT_EQ(*docker_timestamp("10m", now), "1795842400.000000000");
    EXPECT_EQ(*docker_timestamp("1h30m", now), "1795837600.000000000");
    EXPECT_EQ(*docker_timestamp("1.5s", now), "1795842998.500000000");
    EXPECT_EQ(*docker_timestamp("2026-11-28", now), "1795824000.000000000");
    EXPECT_EQ(*docker_timestamp("2026-11-28T05:16:40Z", now), "1795843000.000000000");
    EXPECT_EQ(*docker_timestamp("2026-11-28T06:16:40.25+01:00", now), "1795843000.250000000");
    EXPECT_FALSE(docker_timestamp("yesterday", now));
    EXPECT_FALSE(docker_timestamp("10x", now));
}

}  // namespace
}  // namespace corral::cli
