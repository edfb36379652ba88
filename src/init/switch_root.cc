#include "init/switch_root.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/sys.h"
#include "init/mount_table.h"

namespace corral::init {

bool running_from_initramfs() {
    auto table = read_mount_table();
    if (!table)
        return false;
    for (const auto& entry : *table) {
        // The initramfs is "rootfs" (ramfs or tmpfs) and is the first mount of the namespace.
        if (entry.mount_point == "/")
            return entry.source == "rootfs" || entry.type == "rootfs";
    }
    return false;
}

ErrorOr<void> switch_to_bound_root() {
    // A bind mount of the initramfs on /.root, moved onto /: the same files (nothing is
    // copied), but the root is now a mount with a parent, which pivot_root accepts.
    const std::string new_root = "/.root";
    TRY(sys::mkdir(new_root, 0755));
    TRY(sys::mount("/", new_root, "", MS_BIND));
    // The bind mount does not carry the mounts below / (it is not recursive): move them over.
    for (const char* mount : {"proc", "sys", "dev", "run"}) {
        std::string source = std::string("/") + mount;
        std::string target = new_root + "/" + mount;
        auto moved = sys::mount(source, target, "", MS_MOVE);
        // Not every one of these is mounted yet on every path through boot.
        if (!moved && moved.error().errno_value() != EINVAL)
            return std::move(moved).release_error();
    }
    if (::chdir(new_root.c_str()) < 0)
        return Error::from_errno("chdir", new_root, errno);
    TRY(sys::mount(".", "/", "", MS_MOVE));
    if (::chroot(".") < 0)
        return Error::from_errno("chroot", new_root, errno);
    if (::chdir("/") < 0)
        return Error::from_errno("chdir", "/", errno);
    // The mount point in the initramfs, seen from inside its bind mount.
    (void)::rmdir(new_root.c_str());
    return {};
}

}  // namespace corral::init
