#include "runtime/user.h"

#include <gtest/gtest.h>

namespace corral::runtime {
namespace {

constexpr const char* passwd =
    "# comment\n"
    "root:x:0:0:root:/root:/bin/sh\n"
    "broken line\n"
    "bad:x:notanumber:1:x:/:/bin/sh\n"
    "app:x:1000:1000:app:/home/app:/bin/sh\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
constexpr const char* group =
    "root:x:0:root\n"
    "wheel:x:10:root,app\n"
    "app:x:1000:\n"
    "audio:x:29:app\n"
    "staff:x:50:\n";

TEST(User, ParsesPasswdAndSkipsMalformedLines) {
    auto entries = parse_passwd(passwd);
    ASSERT_EQ(entries.size(), 3u);
    EXPECT_EQ(entries[1].name, "app");
    EXPECT_EQ(entries[1].uid, 1000u);
    EXPECT_EQ(entries[1].home, "/home/app");
}

TEST(User, ParsesGroupMembers) {
    auto entries = parse_group(group);
    ASSERT_EQ(entries.size(), 5u);
    EXPECT_EQ(entries[1].members, (std::vector<std::string>{"root", "app"}));
    EXPECT_TRUE(entries[2].members.empty());
}

TEST(User, EmptyIsRootWithItsGroups) {
    auto user = resolve_user("", passwd, group);
    ASSERT_TRUE(user) << user.error().message();
    EXPECT_EQ(user->uid, 0u);
    EXPECT_EQ(user->gid, 0u);
    EXPECT_EQ(user->additional_gids, (std::vector<uint32_t>{10}));
    EXPECT_EQ(user->home, "/root");
}

TEST(User, NameGivesUidGidGroupsAndHome) {
    auto user = resolve_user("app", passwd, group);
    ASSERT_TRUE(user) << user.error().message();
    EXPECT_EQ(user->uid, 1000u);
    EXPECT_EQ(user->gid, 1000u);
    EXPECT_EQ(user->additional_gids, (std::vector<uint32_t>{10, 29}));
    EXPECT_EQ(user->home, "/home/app");
}

TEST(User, NumericUidNeedNotExist) {
    auto user = resolve_user("4242", passwd, group);
    ASSERT_TRUE(user) << user.error().message();
    EXPECT_EQ(user->uid, 4242u);
    EXPECT_EQ(user->gid, 0u);
    EXPECT_EQ(user->home, "/");
    auto listed = resolve_user("1000", passwd, group);
    ASSERT_TRUE(listed);
    EXPECT_EQ(listed->gid, 1000u);
}

TEST(User, UidColonGid) {
    auto user = resolve_user("1:2", passwd, group);
    ASSERT_TRUE(user) << user.error().message();
    EXPECT_EQ(user->uid, 1u);
    EXPECT_EQ(user->gid, 2u);
    EXPECT_TRUE(user->additional_gids.empty());
}

TEST(User, NameColonGroupName) {
    auto user = resolve_user("app:staff", passwd, group);
    ASSERT_TRUE(user) << user.error().message();
    EXPECT_EQ(user->uid, 1000u);
    EXPECT_EQ(user->gid, 50u);
}

TEST(User, UnknownUserUsesDockersWords) {
    auto user = resolve_user("ghost", passwd, group);
    ASSERT_FALSE(user);
    EXPECT_EQ(user.error().message(),
              "unable to find user ghost: no matching entries in passwd file");
}

TEST(User, UnknownGroupUsesDockersWords) {
    auto user = resolve_user("app:ghosts", passwd, group);
    ASSERT_FALSE(user);
    EXPECT_EQ(user.error().message(),
              "unable to find group ghosts: no matching entries in group file");
}

TEST(User, GroupAddByNameAndNumber) {
    auto user = resolve_user("1000", passwd, group, {"staff", "777"});
    ASSERT_TRUE(user) << user.error().message();
    EXPECT_EQ(user->additional_gids, (std::vector<uint32_t>{10, 29, 50, 777}));
}

TEST(User, NoPasswdFile) {
    EXPECT_TRUE(resolve_user("0", "", ""));
    EXPECT_FALSE(resolve_user("root", "", ""));
}

}  // namespace
}  // namespace corral::runtime
