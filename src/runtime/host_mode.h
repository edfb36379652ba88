// Host mode: running the engine on an ordinary Linux machine without disturbing it. The engine
// (when not PID 1) and the runtime tests call enter_private_mount_namespace() once at start,
// then prepare_cgroup_parent() for the cgroup tree its containers live under.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"

namespace corral::runtime {

// unshare(CLONE_NEWNS) for the calling process (call while single-threaded), make every mount
// private, and mount cgroup2 on `cgroup_mount` unless a cgroup2 file system is already there.
ErrorOr<void> enter_private_mount_namespace(const std::string& cgroup_mount = "/sys/fs/cgroup");

// Creates <cgroup_mount>/<parent> and enables in it (and every ancestor below the mount) each
// controller the root offers. Returns the controllers available to containers.
ErrorOr<std::vector<std::string>> prepare_cgroup_parent(const std::string& cgroup_mount,
                                                        const std::string& parent);

// True when `path` is the root of a cgroup2 file system.
ErrorOr<bool> is_cgroup2(const std::string& path);

}  // namespace corral::runtime
