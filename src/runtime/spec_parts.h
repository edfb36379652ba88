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

// Device nodes and rules: requested devices, or every host device for privileged containers.
ErrorOr<void> add_devices(const engine::HostConfig& host_config, const RuntimeOptions& options,
                          oci::Linux& linux_spec);

// Docker's masked and read-only paths.
const std::vector<std::string>& masked_paths();
const std::vector<std::string>& readonly_paths();

}  // namespace corral::runtime
