#include "base/fs.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/sys.h"

namespace corral {
namespace {

TEST(Fs, WriteAtomicReplacesContentAndLeavesNoTempFile) {
    auto dir = fs::TempDir::create("/tmp", "fs-test");
    ASSERT_TRUE(dir);
    std::string path = fs::join(dir->path(), "state.json");
    ASSERT_TRUE(fs::write_file_atomic(path, "one"));
    ASSERT_TRUE(fs::write_file_atomic(path, "two", 0600));
    auto content = fs::read_file(path);
    ASSERT_TRUE(content);
    EXPECT_EQ(*content, "two");
    auto st = sys::stat(path);
    ASSERT_TRUE(st);
    EXPECT_EQ(st->st_mode & 0777, 0600u);
    auto names = fs::list_dir(dir->path());
    ASSERT_TRUE(names);
    EXPECT_EQ(*names, std::vector<std::string>{"state.json"});
}

TEST(Fs, ReadFileNamesThePathInItsError) {
    auto content = fs::read_file("/nonexistent/corral-file");
    ASSERT_FALSE(content);
    EXPECT_EQ(content.error().kind(), ErrorKind::not_found);
    EXPECT_NE(content.error().message().find("`/nonexistent/corral-file`"), std::string::npos);
}

TEST(Fs, ReadFileRefusesOversizedFiles) {
    auto dir = fs::TempDir::create("/tmp", "fs-test");
    ASSERT_TRUE(dir);
    std::string path = fs::join(dir->path(), "big");
    ASSERT_TRUE(fs::write_file_atomic(path, std::string(100, 'x')));
    auto content = fs::read_file(path, 10);
    ASSERT_FALSE(content);
    EXPECT_EQ(content.error().kind(), ErrorKind::too_large);
}

TEST(Fs, MkdirPAndRemoveTreeHandleNestedTrees) {
    auto dir = fs::TempDir::create("/tmp", "fs-test");
    ASSERT_TRUE(dir);
    std::string deep = fs::join(dir->path(), "a/b/c");
    ASSERT_TRUE(fs::mkdir_p(deep));
    ASSERT_TRUE(fs::write_file_atomic(fs::join(deep, "f"), "x"));
    ASSERT_TRUE(sys::symlink("/etc", fs::join(deep, "link")));
    ASSERT_TRUE(fs::remove_tree(fs::join(dir->path(), "a")));
    EXPECT_FALSE(*fs::exists(fs::join(dir->path(), "a")));
    // The symlink was removed, not followed.
    EXPECT_TRUE(*fs::exists("/etc/passwd"));
}

// In a child of its own mount namespace: a tmpfs mounted inside the tree keeps its file and
// the removal fails naming the mount point.
TEST(Fs, RemoveTreeDoesNotDescendIntoAMountPoint) {
    auto dir = fs::TempDir::create("/tmp", "fs-test");
    ASSERT_TRUE(dir);
    std::string tree = fs::join(dir->path(), "tree");
    std::string mounted = fs::join(tree, "sub/mounted");
    ASSERT_TRUE(fs::mkdir_p(mounted));
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        if (::unshare(CLONE_NEWNS) < 0 ||
            ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0 ||
            ::mount("tmpfs", mounted.c_str(), "tmpfs", 0, "size=64k") < 0)
            ::_exit(10);
        if (!fs::write_file_atomic(fs::join(mounted, "kept"), "y"))
            ::_exit(11);
        auto removed = fs::remove_tree(tree);
        if (removed)
            ::_exit(12);
        if (removed.error().message().find("sub/mounted") == std::string::npos)
            ::_exit(13);
        if (!*fs::exists(fs::join(mounted, "kept")))
            ::_exit(14);
        ::_exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(Fs, RemoveTreeAtRemovesOneEntryOfADirectory) {
    auto dir = fs::TempDir::create("/tmp", "fs-test");
    ASSERT_TRUE(dir);
    ASSERT_TRUE(fs::mkdir_p(fs::join(dir->path(), "tree/sub")));
    ASSERT_TRUE(fs::write_file_atomic(fs::join(dir->path(), "tree/sub/f"), "x"));
    ASSERT_TRUE(sys::symlink(dir->path(), fs::join(dir->path(), "tree/loop")));
    ASSERT_TRUE(fs::write_file_atomic(fs::join(dir->path(), "file"), "x"));
    ASSERT_TRUE(fs::write_file_atomic(fs::join(dir->path(), "kept"), "x"));
    auto fd = sys::open(dir->path(), O_RDONLY | O_DIRECTORY);
    ASSERT_TRUE(fd);
    ASSERT_TRUE(fs::remove_tree_at(fd->get(), "tree"));
    ASSERT_TRUE(fs::remove_tree_at(fd->get(), "file"));
    ASSERT_TRUE(fs::remove_tree_at(fd->get(), "absent"));
    auto names = fs::list_dir(dir->path());
    ASSERT_TRUE(names);
    EXPECT_EQ(*names, std::vector<std::string>{"kept"});
}

TEST(Fs, MkdirPRefusesAFileInTheWay) {
    auto dir = fs::TempDir::create("/tmp", "fs-test");
    ASSERT_TRUE(dir);
    std::string file = fs::join(dir->path(), "file");
    ASSERT_TRUE(fs::write_file_atomic(file, "x"));
    auto made = fs::mkdir_p(fs::join(file, "sub"));
    EXPECT_FALSE(made);
}

TEST(Fs, PathHelpers) {
    EXPECT_EQ(fs::join("/a/", "/b"), "/a/b");
    EXPECT_EQ(fs::dirname("/a/b/"), "/a");
    EXPECT_EQ(fs::dirname("/a"), "/");
    EXPECT_EQ(fs::dirname("a"), ".");
    EXPECT_EQ(fs::basename("/a/b/"), "b");
}

TEST(Fs, TempDirIsRemovedWithItsObject) {
    std::string path;
    {
        auto dir = fs::TempDir::create("/tmp", "fs-test");
        ASSERT_TRUE(dir);
        path = dir->path();
        ASSERT_TRUE(fs::write_file_atomic(fs::join(path, "f"), "x"));
    }
    EXPECT_FALSE(*fs::exists(path));
}

}  // namespace
}  // namespace corral
