// The system side of boot: the system engine, which runs inside PID 1 on threads of its own
// (PID 1's reaper, base/reaper.h, gives the engine the exit statuses of its own children and
// collects every orphan), the system services it brings up, and the readiness probes of the
// boot timeline.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/layers.h"
#include "init/boot_options.h"
#include "init/pending_boot.h"
#include "init/supervisor.h"

namespace corral::init {

// Where the system engine listens.
inline constexpr const char* kSystemEngineSocket = "/var/run/system-docker.sock";

// Makes the system engine's cgroup parent, with every controller, before init starts the
// module threads (only the reaper's thread, idle, runs beside it then). The first cgroup with
// cpuset makes the kernel patch the static branches of its slab allocator (cpusets_enabled);
// under QEMU's TCG, patching them while another vCPU allocates can leave both vCPUs spinning
// in ___slab_alloc for good (docs/boot.md, "The TCG lock-up"). Made here, they flip once with
// nothing allocating beside it, and the parent, which lives until shutdown, keeps them on while
// containers come and go. A failure is for the engine's start to report; this returns nothing.
void prepare_engine_cgroups();

// Starts the system engine (which brings up the system services once its API answers), hands
// `supervisor` the way to stop it at shutdown, keeps the rancher.autologin console shell
// running, and registers the readiness probes (sshd, user engine). When the engine cannot run,
// the console gets a recovery shell so the machine stays usable. `pending`: what init left
// running (the last boot modules, the boot medium's mount), waited for before the images are
// loaded and the services brought up; null when nothing is pending.
void start_system(Supervisor& supervisor, const BootOptions& options,
                  std::unique_ptr<PendingBoot> pending);

struct InsecureRegistries {
    std::vector<std::string> entries;   // the valid ones, in the configuration's order
    std::vector<std::string> problems;  // one line per entry left out, naming the key
};

// rancher.system_docker.insecure_registry of the configuration layers at `paths` as they are
// now, each entry checked as `system-dockerd --insecure-registry` checks it
// (image::check_insecure_registry). An invalid entry is left out and reported, never fatal.
// The system engine asks for them at each pull (image::StoreOptions::insecure_registries_source).
InsecureRegistries configured_insecure_registries(const config::LayerPaths& paths);

}  // namespace corral::init
