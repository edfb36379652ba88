#include "init/early_mounts.h"

#include <sys/mount.h>

#include <sstream>

#include "base/fs.h"
#include "base/sys.h"

namespace corral::init {

namespace {

constexpr unsigned long kSecure = MS_NOSUID | MS_NODEV | MS_NOEXEC;

constexpr MountEntry kEarlyMounts[] = {
    {"proc", "/proc", "proc", kSecure, "", 0555},
    {"sysfs", "/sys", "sysfs", kSecure, "", 0555},
    {"devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755", 0755},
    {"devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "mode=0620,gid=5,ptmxmode=0666", 0755},
    {"shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", 01777},
    // Containers with the host's IPC namespace get /dev/mqueue bound in.
    {"mqueue", "/dev/mqueue", "mqueue", kSecure, "", 01777},
    {"tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", 0755},
    {"cgroup2", "/sys/fs/cgroup", "cgroup2", kSecure, "nsdelegate", 0555},
};

}  // namespace

std::span<const MountEntry> early_mounts() {
    return kEarlyMounts;
}

bool is_mount_point(const std::string& path) {
    auto info = fs::read_file("/proc/self/mountinfo");
    if (!info)
        return false;
    std::istringstream lines(*info);
    std::string line;
    while (std::getline(lines, line)) {
        // "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw": field 5 is the
        // mount point.
        std::istringstream fields(line);
        std::string id, parent, device, root, mount_point;
        fields >> id >> parent >> device >> root >> mount_point;
        if (mount_point == path)
            return true;
    }
    return false;
}

ErrorOr<void> apply_mounts(std::span<const MountEntry> entries) {
    for (const auto& entry : entries) {
        std::string target(entry.target);
        if (is_mount_point(target))
            continue;
        TRY(fs::mkdir_p(target, entry.mode));
        TRY(sys::mount(std::string(entry.source), target, std::string(entry.type), entry.flags,
                       std::string(entry.data)));
    }
    return {};
}

}  // namespace corral::init
