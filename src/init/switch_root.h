// Leaves the initramfs for a real root: the initramfs (rootfs) cannot be pivot_root'ed away,
// and container runtimes need pivot_root, so init moves the system into a tmpfs.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"

namespace corral::init {

// Moves the contents of directory `from` into directory `to` (another file system): copies
// each entry and removes the original as it goes, so memory use does not double. Entries named
// in `skip` (paths relative to `from`, e.g. "proc") are left alone. Preserves type, mode,
// owner, and modification time; hard links become copies.
ErrorOr<void> move_tree(const std::string& from, const std::string& to,
                        const std::vector<std::string>& skip);

// Whether / is the initramfs (rootfs) rather than a real mount we can leave with pivot_root.
bool running_from_initramfs();

// Mounts a tmpfs at /.root, moves the initramfs into it, moves the mounts /proc /sys /dev /run
// along, and makes it the root of this process (chroot into the moved mount). Needs to be
// PID 1's first real step after the early mounts.
ErrorOr<void> switch_to_tmpfs_root();

}  // namespace corral::init
