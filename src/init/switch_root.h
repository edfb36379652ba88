// Leaves the initramfs for a real root: the initramfs (rootfs) cannot be pivot_root'ed away,
// and container runtimes need pivot_root, so init makes / a bind mount of it (a mount with a
// parent, which pivot_root accepts).
#pragma once

#include <string>

#include "base/error.h"

namespace corral::init {

// Whether / is the initramfs (rootfs) rather than a real mount we can leave with pivot_root.
bool running_from_initramfs();

// Bind-mounts the initramfs on /.root, moves the mounts /proc /sys /dev /run into it, moves
// it onto / and makes it the root of this process (chroot). Nothing is copied. Needs to be
// PID 1's first real step after the early mounts.
ErrorOr<void> switch_to_bound_root();

}  // namespace corral::init
