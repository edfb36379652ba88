#include "init/early_mounts.h"

#include <sys/mount.h>

#include <algorithm>

#include "base/fs.h"
#include "base/sys.h"
#include "init/mount_table.h"

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
    auto table = read_mount_table();
    if (!table)
        return false;
    return std::any_of(table->begin(), table->end(),
                       [&](const MountInfo& entry) { return entry.mount_point == path; });
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
