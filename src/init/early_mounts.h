// The early mounts of PID 1, as a table: the kernel's pseudo file systems every later step
// needs (proc, sys, devtmpfs, devpts, shm, run, cgroup2 unified).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "base/error.h"

namespace corral::init {

struct MountEntry {
    std::string_view source;
    std::string_view target;
    std::string_view type;
    unsigned long flags;
    std::string_view data;
    mode_t mode;  // of the target directory, created when missing
};

// In mount order: each target's parent is mounted before it.
std::span<const MountEntry> early_mounts();

// Mounts each entry whose target is not a mount point yet (so the table can be applied again
// after the switch to the real root). Stops at the first failure.
ErrorOr<void> apply_mounts(std::span<const MountEntry> entries);

// Whether `path` is a mount point, read from /proc/self/mountinfo (absent /proc: false).
bool is_mount_point(const std::string& path);

}  // namespace corral::init
