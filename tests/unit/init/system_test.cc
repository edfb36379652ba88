// Mount table, sysctl paths, power signals, tree moving, boot timeline lines.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>

#include "base/boot_timeline.h"
#include "base/fs.h"
#include "base/sys.h"
#include "compose/interpolate.h"
#include "init/early_mounts.h"
#include "init/power.h"
#include "init/state_disk.h"
#include "init/switch_root.h"
#include "init/system_services.h"
#include "init/system_settings.h"

namespace corral::init {
namespace {

TEST(EarlyMounts, EveryParentBeforeItsChildrenAndCgroup2Unified) {
    std::set<std::string> mounted = {"/"};
    bool has_cgroup2 = false;
    for (const auto& entry : early_mounts()) {
        std::string target(entry.target);
        std::string parent = fs::dirname(target);
        // The nearest mounted ancestor must be mounted already: /dev before /dev/pts,
        // /sys before /sys/fs/cgroup.
        bool ancestor_mounted = false;
        for (std::string at = parent; !at.empty(); at = fs::dirname(at)) {
            if (mounted.count(at)) {
                ancestor_mounted = true;
                break;
            }
            if (at == "/")
                break;
        }
        EXPECT_TRUE(ancestor_mounted) << target;
        EXPECT_TRUE(mounted.insert(target).second) << "mounted twice: " << target;
        if (entry.type == "cgroup2" && entry.target == "/sys/fs/cgroup")
            has_cgroup2 = true;
    }
    EXPECT_TRUE(has_cgroup2);
    for (const char* needed : {"/proc", "/sys", "/dev", "/dev/pts", "/dev/shm", "/run"})
        EXPECT_TRUE(mounted.count(needed)) << needed;
}

TEST(EarlyMounts, RootIsAMountPointHere) {
    EXPECT_TRUE(is_mount_point("/"));
    EXPECT_FALSE(is_mount_point("/corral-not-mounted"));
}

TEST(Sysctl, KeysBecomePathsUnderProcSys) {
    EXPECT_EQ(*sysctl_path("net.ipv4.ip_forward"), "/proc/sys/net/ipv4/ip_forward");
    EXPECT_EQ(*sysctl_path("net.bridge.bridge-nf-call-iptables"),
              "/proc/sys/net/bridge/bridge-nf-call-iptables");
    for (const char* bad : {"", "net..x", "net.", ".net", "a/b.c", "net.../x"})
        EXPECT_FALSE(sysctl_path(bad)) << bad;
}

TEST(Sysctl, UnknownKeyFailsAloneAndIsReported) {
    const std::pair<std::string_view, std::string_view> settings[] = {{"corral.no.such.key", "1"}};
    auto failed = apply_sysctls(settings);
    ASSERT_EQ(failed.size(), 1u);
    EXPECT_EQ(failed[0].rfind("corral.no.such.key: ", 0), 0u);
}

TEST(Power, SignalsRoundTrip) {
    for (auto action : {PowerAction::poweroff, PowerAction::reboot, PowerAction::halt})
        EXPECT_EQ(power_action_for_signal(signal_for_power_action(action)), action);
    EXPECT_EQ(power_action_for_signal(SIGINT), PowerAction::reboot);  // ctrl-alt-del
    EXPECT_EQ(power_action_for_signal(SIGPWR), PowerAction::poweroff);
    EXPECT_FALSE(power_action_for_signal(SIGCHLD));
}

// At shutdown PID 1 lets go of its files on the disks (the engine's log kept the state disk
// busy, so it could not be made read-only). Run in a child: it closes descriptors.
TEST(Power, ClosesOnlyFilesOnOtherFileSystems) {
    char directory[] = "/tmp/corral-power-XXXXXX";
    ASSERT_NE(::mkdtemp(directory), nullptr);
    std::string kept_path = std::string(directory) + "/kept";
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        int kept = ::open(kept_path.c_str(), O_WRONLY | O_CREAT, 0600);
        int kept_directory = ::open(directory, O_RDONLY | O_DIRECTORY);
        int other = ::open("/proc/self/status", O_RDONLY);  // another file system
        int device = ::open("/dev/null", O_WRONLY);         // a device node stays
        struct stat here {};
        if (kept < 0 || kept_directory < 0 || other < 0 || device < 0 ||
            ::stat(directory, &here) < 0)
            ::_exit(10);
        int closed = close_files_off(here.st_dev);
        bool open_after[] = {::fcntl(kept, F_GETFD) >= 0, ::fcntl(kept_directory, F_GETFD) >= 0,
                             ::fcntl(other, F_GETFD) >= 0, ::fcntl(device, F_GETFD) >= 0};
        if (!open_after[0] || !open_after[1])
            ::_exit(11);
        if (open_after[2])
            ::_exit(12);
        if (!open_after[3])
            ::_exit(13);
        ::_exit(closed >= 1 ? 0 : 14);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    (void)fs::remove_tree(directory);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(Power, ProgramNames) {
    EXPECT_EQ(power_action_for_program("/usr/sbin/poweroff"), PowerAction::poweroff);
    EXPECT_EQ(power_action_for_program("reboot"), PowerAction::reboot);
    EXPECT_EQ(power_action_for_program("halt"), PowerAction::halt);
    EXPECT_FALSE(power_action_for_program("shutdown"));
}

TEST(StateDisk, PersistentDirectoriesOfTheIssue) {
    std::set<std::string> directories;
    for (auto directory : persistent_directories())
        directories.emplace(directory);
    EXPECT_EQ(directories,
              (std::set<std::string>{"/var/lib/system-docker", "/var/lib/docker",
                                     "/var/lib/rancher", "/home", "/opt", "/var/log"}));
}

TEST(BootTimeline, LineFormatAndAppend) {
    EXPECT_EQ(boot_timeline::format_line(1.23456, "init"), "1.235 init\n");
    auto dir = fs::TempDir::create("/tmp", "corral-timeline");
    ASSERT_TRUE(dir);
    std::string path = dir->path() + "/boot-timeline";
    ASSERT_TRUE(boot_timeline::record("sshd ready", path));
    ASSERT_TRUE(boot_timeline::record("docker ready", path));
    auto text = *fs::read_file(path);
    EXPECT_NE(text.find(" sshd ready\n"), std::string::npos);
    EXPECT_NE(text.find(" docker ready\n"), std::string::npos);
    EXPECT_LT(text.find("sshd"), text.find("docker"));
    EXPECT_GT(boot_timeline::now_seconds(), 0.0);
}

TEST(SystemServices, PrerequisitesFromAfterBeforeAndVolumesFromWithinTheSet) {
    auto services = compose::parse_service_file(R"(
volumes:
  image: corral/os-base
  labels: {io.rancher.os.createonly: "true"}
udev:
  image: corral/os-base
  volumes_from: [volumes]
network:
  image: corral/os-base
  labels: {io.rancher.os.after: "udev, absent"}
syslog:
  image: corral/os-base
  labels: {io.rancher.os.before: network}
)",
                                                "test.yml", compose::default_environment());
    ASSERT_TRUE(services) << services.error().message();
    auto prerequisites = service_prerequisites(*services);
    EXPECT_EQ(prerequisites.size(), 4u);
    EXPECT_TRUE(prerequisites["volumes"].empty());
    EXPECT_TRUE(prerequisites["syslog"].empty());
    EXPECT_EQ(prerequisites["udev"], (std::vector<std::string>{"volumes"}));
    // `absent` is not in the set; syslog's `before: network` makes network wait for syslog.
    EXPECT_EQ(prerequisites["network"], (std::vector<std::string>{"udev", "syslog"}));
}

TEST(SystemServices, PrioritiesWeighTheChainBehindEachService) {
    // os-config.yml's shape: volume holders, a one-shot (cloud-init) that the console and the
    // user engine wait for, and daemons with one follower (network → ntp) or none.
    auto services = compose::parse_service_file(R"(
volumes:
  image: corral/os-base
  labels: {io.rancher.os.createonly: "true"}
acpid:
  image: corral/os-base
  volumes_from: [volumes]
network:
  image: corral/os-base
  volumes_from: [volumes]
ntp:
  image: corral/os-base
  labels: {io.rancher.os.after: network}
cloud-init:
  image: corral/os-base
  labels: {io.rancher.os.detach: "false"}
  volumes_from: [volumes]
console:
  image: corral/os-base
  labels: {io.rancher.os.after: cloud-init}
  volumes_from: [volumes]
docker:
  image: corral/os-base
  labels: {io.rancher.os.after: cloud-init}
  volumes_from: [volumes]
)",
                                                "test.yml", compose::default_environment());
    ASSERT_TRUE(services) << services.error().message();
    auto priorities = service_priorities(*services, service_prerequisites(*services));
    EXPECT_EQ(priorities.size(), 7u);
    EXPECT_EQ(priorities["console"], 2);
    EXPECT_EQ(priorities["docker"], 2);
    EXPECT_EQ(priorities["acpid"], 2);
    EXPECT_EQ(priorities["ntp"], 2);
    EXPECT_EQ(priorities["network"], 4);
    // The one-shot's own run plus a start after it: the heaviest of the ready services.
    EXPECT_EQ(priorities["cloud-init"], 6);
    EXPECT_EQ(priorities["volumes"], 7);
}

}  // namespace
}  // namespace corral::init
