// Pieces of config.json generation, split out of spec.cc by concern and exposed for tests.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/types.h"
#include "runtime/oci_spec.h"
#include "runtime/runtime.h"

namespace corral::runtime {

// Controllers a container created under the options' cgroup parent can use: the nearest
// existing ancestor's cgroup.controllers.
std::set<std::string> available_controllers(const RuntimeOptions& options);

// linux.resources from docker's limits, keeping only what `controllers` allow; a warning in
// dockerd's words for each limit left out.
oci::Resources make_resources(const engine::Resources& resources,
                              const std::set<std::string>& controllers, bool swap_supported,
                              Warnings& warnings);

// Device nodes and rules: requested devices, or every host device for privileged containers
// (none when `host_dev` says /dev is the host's own, see uses_host_dev).
ErrorOr<void> add_devices(const engine::HostConfig& host_config, const RuntimeOptions& options,
                          oci::Linux& linux_spec, bool host_dev = false);

// Whether the container's /dev is the host's /dev (a recursive bind) instead of a tmpfs with
// a node per host device: a privileged container that binds the host's whole /dev anyway (the
// system services' system-volumes: /dev:/host/dev) and asks for no --device. It sees every
// host device as docker's --privileged does, without the runtime making each node (~100 under
// QEMU, each start); its /dev/pts, /dev/shm and /dev/mqueue are still its own mounts.
bool uses_host_dev(const engine::HostConfig& host_config);

// Docker's masked and read-only paths.
const std::vector<std::string>& masked_paths();
const std::vector<std::string>& readonly_paths();

}  // namespace corral::runtime
