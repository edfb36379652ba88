#include "init/kernel_modules.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <thread>
#include <vector>

#include "base/fs.h"
#include "init/pending_boot.h"

namespace corral::init {
namespace {

constexpr const char* kModulesDep =
    "kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko kernel/fs/jbd2/jbd2.ko\n"
    "kernel/fs/mbcache.ko:\n"
    "kernel/fs/jbd2/jbd2.ko:\n"
    "kernel/lib/crc16.ko:\n"
    "kernel/arch/x86/crypto/crc32c-intel.ko:\n"
    "kernel/fs/isofs/isofs.ko: kernel/drivers/cdrom/cdrom.ko\n"
    "kernel/drivers/cdrom/cdrom.ko:\n"
    "kernel/drivers/scsi/sr_mod.ko: kernel/drivers/cdrom/cdrom.ko kernel/drivers/scsi/scsi_mod.ko\n"
    "kernel/drivers/scsi/scsi_mod.ko:\n";

TEST(ModuleName, StripsDirectorySuffixAndDashes) {
    EXPECT_EQ(module_name("kernel/fs/ext4/ext4.ko"), "ext4");
    EXPECT_EQ(module_name("kernel/arch/x86/crypto/crc32c-intel.ko.xz"), "crc32c_intel");
    EXPECT_EQ(module_name("crc32c-intel"), "crc32c_intel");
}

TEST(ModuleIndex, DependenciesComeFirstAndOnce) {
    auto index = ModuleIndex::parse(kModulesDep);
    ASSERT_TRUE(index) << index.error().message();
    EXPECT_EQ(index->size(), 9u);
    auto order = index->load_order({"sr_mod", "isofs", "ext4"});
    ASSERT_TRUE(order) << order.error().message();
    EXPECT_EQ(*order, (std::vector<std::string>{
                          "kernel/drivers/cdrom/cdrom.ko",
                          "kernel/drivers/scsi/scsi_mod.ko",
                          "kernel/drivers/scsi/sr_mod.ko",
                          "kernel/fs/isofs/isofs.ko",
                          "kernel/lib/crc16.ko",
                          "kernel/fs/mbcache.ko",
                          "kernel/fs/jbd2/jbd2.ko",
                          "kernel/fs/ext4/ext4.ko",
                      }));
}

TEST(ModuleIndex, NamesWithDashesOrUnderscoresMatch) {
    auto index = ModuleIndex::parse(kModulesDep);
    ASSERT_TRUE(index);
    auto order = index->load_order({"crc32c_intel"});
    ASSERT_TRUE(order);
    EXPECT_EQ(*order, (std::vector<std::string>{"kernel/arch/x86/crypto/crc32c-intel.ko"}));
}

TEST(ModuleIndex, UnknownModuleIsNotFound) {
    auto index = ModuleIndex::parse(kModulesDep);
    ASSERT_TRUE(index);
    auto order = index->load_order({"ext4", "nosuchmodule"});
    ASSERT_FALSE(order);
    EXPECT_EQ(order.error().kind(), ErrorKind::not_found);
    EXPECT_NE(order.error().message().find("nosuchmodule"), std::string::npos);
}

TEST(ModuleIndex, CycleIsAnError) {
    auto index = ModuleIndex::parse("a.ko: b.ko\nb.ko: a.ko\n");
    ASSERT_TRUE(index);
    auto order = index->load_order({"a"});
    ASSERT_FALSE(order);
    EXPECT_NE(order.error().message().find("cycle"), std::string::npos);
}

TEST(ModuleIndex, DependencyMissingFromTheIndexIsAnError) {
    auto index = ModuleIndex::parse("a.ko: gone.ko\n");
    ASSERT_TRUE(index);
    EXPECT_FALSE(index->load_order({"a"}));
}

TEST(ModuleIndex, LineWithoutColonIsRejectedWithItsNumber) {
    auto index = ModuleIndex::parse("a.ko:\nbroken line\n");
    ASSERT_FALSE(index);
    EXPECT_NE(index.error().message().find("line 2"), std::string::npos);
}

TEST(ModuleList, CommentsAndBlankLines) {
    EXPECT_EQ(parse_module_list("# disks\nvirtio_blk\n\n  ext4  # fs\n#x\n"),
              (std::vector<std::string>{"virtio_blk", "ext4"}));
}

TEST(ModuleList, PartsSplitAtTheDisksLine) {
    auto stages = parse_module_stages("virtio_blk\next4 # fs\n\n[disks]  # last\nahci\nsr_mod\n");
    EXPECT_EQ(stages.system, (std::vector<std::string>{"virtio_blk", "ext4"}));
    EXPECT_EQ(stages.disks, (std::vector<std::string>{"ahci", "sr_mod"}));
    // Without the line, the services wait for everything; the whole list never names
    // `[disks]`.
    EXPECT_TRUE(parse_module_stages("ext4\n").disks.empty());
    EXPECT_EQ(parse_module_list("ext4\n[disks]\nahci\n"),
              (std::vector<std::string>{"ext4", "ahci"}));
}

TEST(ModuleList, NextLinesAreBarriersNotNames) {
    auto stages =
        parse_module_stages("bus\n[next]\n[next]\nblk # x\nnet\n[disks]\nhba\n[next]\ncd\n");
    EXPECT_EQ(stages.system, (std::vector<std::string>{"bus", "blk", "net"}));
    EXPECT_EQ(stages.system_barriers, (std::vector<size_t>{1}));
    EXPECT_EQ(stages.disks, (std::vector<std::string>{"hba", "cd"}));
    EXPECT_EQ(stages.disks_barriers, (std::vector<size_t>{1}));
    // At the top a barrier holds nothing back.
    EXPECT_TRUE(parse_module_stages("[next]\na\n").system_barriers.empty());
    EXPECT_EQ(parse_module_list("bus\n[next]\nblk\n"), (std::vector<std::string>{"bus", "blk"}));
}

TEST(ModuleIndex, DependenciesOfAFile) {
    auto index = ModuleIndex::parse(kModulesDep);
    ASSERT_TRUE(index) << index.error().message();
    const auto* dependencies = index->dependencies_of("kernel/fs/isofs/isofs.ko");
    ASSERT_NE(dependencies, nullptr);
    EXPECT_EQ(*dependencies, (std::vector<std::string>{"kernel/drivers/cdrom/cdrom.ko"}));
    EXPECT_EQ(index->dependencies_of("kernel/none.ko"), nullptr);
}

TEST(ModuleList, ShippedListResolvesAgainstItsOwnNames) {
    // Every name of os/modules must be a plain module name (no paths, no options).
    auto text = std::string(CORRAL_SOURCE_DIR) + "/os/modules";
    FILE* file = std::fopen(text.c_str(), "r");
    ASSERT_NE(file, nullptr);
    std::string content;
    char buffer[4096];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0)
        content.append(buffer, n);
    std::fclose(file);
    auto names = parse_module_list(content);
    EXPECT_GT(names.size(), 10u);
    // The state disk's path, container roots and what the services need (network cards,
    // netfilter) are in the system part, the state disk's drivers first; the other disks and
    // the CD-ROM come last.
    auto stages = parse_module_stages(content);
    ASSERT_GE(stages.system.size(), 2u);
    EXPECT_EQ(stages.system[0], "virtio_pci");
    EXPECT_EQ(stages.system[1], "virtio_blk");
    // virtio_pci has found every virtio device before their drivers load.
    EXPECT_EQ(stages.system_barriers.front(), 1u);
    for (const char* needed : {"ext4", "overlay", "button", "virtio_net", "bridge", "nf_conntrack"})
        EXPECT_NE(std::find(stages.system.begin(), stages.system.end(), needed),
                  stages.system.end())
            << needed;
    for (const char* disk : {"ahci", "sr_mod", "isofs", "ata_piix"})
        EXPECT_NE(std::find(stages.disks.begin(), stages.disks.end(), disk), stages.disks.end())
            << disk;
    for (const auto& name : names) {
        EXPECT_EQ(name.find('/'), std::string::npos) << name;
        EXPECT_EQ(name.find('='), std::string::npos) << name;
    }
}

}  // namespace
}  // namespace corral::init

namespace corral::init {
namespace {

// The loader's thread tries every module of the stage and then signals done_fd(): files that
// are no modules fail with the kernel's (or the permission's) reason, and the report says so.
// A module tree for this kernel under `root`/lib/modules: `dep` as modules.dep, each of
// `files` (kernel/<name>.ko) a file that is no module, and the list `root`/modules.
void fake_module_tree(const std::string& root, const std::string& dep,
                      const std::vector<std::string>& files, const std::string& list) {
    utsname names{};
    ASSERT_EQ(::uname(&names), 0);
    std::string release_dir = root + "/lib/modules/" + names.release;
    ASSERT_TRUE(fs::mkdir_p(release_dir + "/kernel"));
    ASSERT_TRUE(fs::write_file_atomic(release_dir + "/modules.dep", dep));
    for (const auto& file : files)
        ASSERT_TRUE(fs::write_file_atomic(release_dir + "/" + file, "not a module"));
    ASSERT_TRUE(fs::write_file_atomic(root + "/modules", list));
}

// A module tree of independent modules named by LINES (lines starting with '[' are the list's
// own: `[disks]`, `[next]`), the list in that order.
void fake_independent_modules(const std::string& root, const std::vector<std::string>& lines) {
    std::string dep;
    std::vector<std::string> files;
    std::string list;
    for (const auto& name : lines) {
        list += name + "\n";
        if (name[0] == '[')
            continue;
        dep += "kernel/" + name + ".ko:\n";
        files.push_back("kernel/" + name + ".ko");
    }
    fake_module_tree(root, dep, files, list);
}

// The names of the modules load_module_list tried, in the order it tried them.
std::vector<std::string> tried_modules(const std::string& root) {
    std::mutex mutex;
    std::vector<std::string> tried;
    auto report =
        load_module_list(root + "/modules", root + "/lib/modules", [&](const std::string& name) {
            std::lock_guard lock(mutex);
            tried.push_back(name);
        });
    EXPECT_TRUE(report) << report.error().message();
    return tried;
}

TEST(ModuleLoader, SignalsDoneAndReportsEveryModule) {
    auto dir = fs::TempDir::create("/tmp", "corral-modules");
    ASSERT_TRUE(dir);
    fake_module_tree(dir->path(), "kernel/a.ko:\nkernel/b.ko: kernel/a.ko\n",
                     {"kernel/a.ko", "kernel/b.ko"}, "b\nmissing\n[disks]\na\n");
    ASSERT_FALSE(::testing::Test::HasFatalFailure());
    std::string list = dir->path() + "/modules";

    auto loader = ModuleLoader::start(list, dir->path() + "/lib/modules");
    ASSERT_TRUE(loader) << loader.error().message();
    // A module that failed counts as tried; an unknown one is waited for until the end.
    (*loader)->wait_for_module("a");
    (*loader)->wait_for_module("missing");
    pollfd done{(*loader)->done_fd(), POLLIN, 0};
    ASSERT_EQ(::poll(&done, 1, 30'000), 1);
    const auto& report = (*loader)->wait();
    ASSERT_TRUE(report) << report.error().message();
    EXPECT_TRUE(report->loaded.empty());
    // a and b fail in the kernel, `missing` is not in modules.dep.
    ASSERT_EQ(report->failed.size(), 3u);
    EXPECT_GT((*loader)->finished_seconds(), 0.0);
}

// The disks part starts once every module of the system part was tried: the kernel would make
// a system module loaded beside a disk controller wait for the controller's probes.
TEST(ModuleLoader, LoadsTheDisksPartAfterTheSystemPart) {
    auto dir = fs::TempDir::create("/tmp", "corral-modules");
    ASSERT_TRUE(dir);
    fake_independent_modules(dir->path(),
                             {"s1", "s2", "s3", "s4", "s5", "s6", "[disks]", "d1", "d2"});
    ASSERT_FALSE(::testing::Test::HasFatalFailure());
    auto tried = tried_modules(dir->path());
    ASSERT_EQ(tried.size(), 8u);
    std::vector<std::string> last(tried.end() - 2, tried.end());
    std::sort(last.begin(), last.end());
    EXPECT_EQ(last, (std::vector<std::string>{"d1", "d2"}));

    // The system part alone is waited for (an unknown name counts as tried).
    auto loader = ModuleLoader::start(dir->path() + "/modules", dir->path() + "/lib/modules");
    ASSERT_TRUE(loader) << loader.error().message();
    (*loader)->wait_for_system_part();
    (*loader)->wait();
}

// The modules after a `[next]` line start once every module before it was tried.
TEST(ModuleLoader, NextLineHoldsBackTheModulesAfterIt) {
    auto dir = fs::TempDir::create("/tmp", "corral-modules");
    ASSERT_TRUE(dir);
    fake_independent_modules(dir->path(), {"a1", "a2", "a3", "[next]", "b1", "b2", "b3", "b4"});
    ASSERT_FALSE(::testing::Test::HasFatalFailure());
    for (int round = 0; round < 20; ++round) {
        auto tried = tried_modules(dir->path());
        ASSERT_EQ(tried.size(), 7u);
        std::vector<std::string> first(tried.begin(), tried.begin() + 3);
        std::sort(first.begin(), first.end());
        EXPECT_EQ(first, (std::vector<std::string>{"a1", "a2", "a3"})) << "round " << round;
    }
}

// A list that cannot be read: the loading ends at once with the read's error, and nothing
// waits for a part it never had.
TEST(ModuleLoader, UnreadableListEndsWithItsError) {
    auto loader = ModuleLoader::start("/nonexistent/corral-modules", "/nonexistent");
    ASSERT_TRUE(loader) << loader.error().message();
    (*loader)->wait_for_system_part();
    const auto& report = (*loader)->wait();
    ASSERT_FALSE(report);
    EXPECT_NE(report.error().message().find("/nonexistent/corral-modules"), std::string::npos)
        << report.error().message();
}

// What init leaves pending: the module stage is waited for (and reported) once whoever asks
// first, from any thread; a boot without a CORRALOS medium ends the mount with nullopt.
TEST(PendingBoot, WaitsForTheModulesOnceAndForAMediumThatIsNotThere) {
    auto dir = fs::TempDir::create("/tmp", "corral-pending");
    ASSERT_TRUE(dir);
    fake_module_tree(dir->path(), "kernel/a.ko:\n", {"kernel/a.ko"}, "a\n");
    ASSERT_FALSE(::testing::Test::HasFatalFailure());
    std::string list = dir->path() + "/modules";
    auto loader = ModuleLoader::start(list, dir->path() + "/lib/modules");
    ASSERT_TRUE(loader) << loader.error().message();
    std::string timeline = dir->path() + "/boot-timeline";
    PendingBoot pending(std::move(*loader), timeline);
    EXPECT_GE(pending.modules_done_fd(), 0);
    // A file system the kernel knows needs no module: no wait.
    pending.wait_for_file_system("proc", "no_such_module");
    pending.start_media_mount(0);
    std::thread other([&] { pending.wait_for_modules(); });
    pending.wait_for_modules();
    other.join();
    EXPECT_EQ(pending.wait_for_media(), std::nullopt);
    EXPECT_EQ(pending.wait_for_media(), std::nullopt);
    auto recorded = fs::read_file(timeline);
    ASSERT_TRUE(recorded) << recorded.error().message();
    EXPECT_NE(recorded->find(" modules loaded\n"), std::string::npos) << *recorded;
    EXPECT_EQ(recorded->find("modules loaded"), recorded->rfind("modules loaded")) << *recorded;
    EXPECT_EQ(recorded->find("boot medium"), std::string::npos) << *recorded;
}

// The marker of the loading modules: there while they load, gone after, with the stage's end
// recorded; a stage already over makes no marker.
TEST(PendingBoot, MarksTheModulesLoadingUntilTheyAreIn) {
    auto dir = fs::TempDir::create("/tmp", "corral-pending");
    ASSERT_TRUE(dir);
    fake_module_tree(dir->path(), "kernel/a.ko:\n", {"kernel/a.ko"}, "a\n");
    ASSERT_FALSE(::testing::Test::HasFatalFailure());
    std::string timeline = dir->path() + "/boot-timeline";
    std::string marker = dir->path() + "/run/disk-drivers-loading";
    {
        auto loader = ModuleLoader::start(dir->path() + "/modules", dir->path() + "/lib/modules");
        ASSERT_TRUE(loader) << loader.error().message();
        PendingBoot pending(std::move(*loader), timeline);
        pending.mark_modules_loading(marker);
        pending.wait_for_modules();
    }  // joins the marker's thread
    EXPECT_NE(::access(marker.c_str(), F_OK), 0);
    auto recorded = fs::read_file(timeline);
    ASSERT_TRUE(recorded) << recorded.error().message();
    EXPECT_NE(recorded->find(" modules loaded\n"), std::string::npos) << *recorded;
    EXPECT_EQ(recorded->find("modules loaded"), recorded->rfind("modules loaded")) << *recorded;
}

TEST(PendingBoot, WithoutALoaderNothingIsWaitedFor) {
    PendingBoot pending(nullptr, "/nonexistent/boot-timeline");
    EXPECT_EQ(pending.modules_done_fd(), -1);
    pending.wait_for_file_system("no_such_fs", "no_such_module");
    pending.wait_for_modules();
    pending.wait_for_system_modules();
    pending.mark_modules_loading("/nonexistent/marker");
    EXPECT_EQ(pending.wait_for_media(), std::nullopt);
}

}  // namespace
}  // namespace corral::init
