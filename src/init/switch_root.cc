#include "init/switch_root.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <sstream>

#include "base/fs.h"
#include "base/sys.h"

namespace corral::init {

bool running_from_initramfs() {
    auto mounts = fs::read_file("/proc/self/mountinfo");
    if (!mounts)
        return false;
    std::istringstream lines(*mounts);
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        std::string id, parent, device, root, mount_point;
        fields >> id >> parent >> device >> root >> mount_point;
        if (mount_point != "/")
            continue;
        auto separator = line.find(" - ");
        if (separator == std::string::npos)
            return false;
        std::istringstream tail(line.substr(separator + 3));
        std::string type, source;
        tail >> type >> source;
        // The initramfs is "rootfs" (ramfs or tmpfs) and is the first mount of the namespace.
        return source == "rootfs" || type == "rootfs";
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
