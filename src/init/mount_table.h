// The mount table of /proc/self/mountinfo, as init reads it: to skip mounts already made, to
// see whether it runs from the initramfs, and to unmount everything at shutdown.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace corral::init {

struct MountInfo {
    std::string mount_point;  // field 5
    std::string type;         // after the " - " separator
    std::string source;       // "none", "rootfs", "/dev/vda"...
};

// One entry per well-formed line, in the kernel's order (a mount after its parent). The
// kernel's octal escapes (\040 for a space, \011, \012, \134) are decoded; a line without the
// separator or its fields is skipped.
std::vector<MountInfo> parse_mount_table(std::string_view text);

// parse_mount_table of `path` (/proc/self/mountinfo: proc must be mounted).
ErrorOr<std::vector<MountInfo>> read_mount_table(const std::string& path = "/proc/self/mountinfo");

}  // namespace corral::init
