// The system side of boot: the system engine (a child of PID 1, so PID 1 alone reaps the
// orphans while the engine waits for its own children), the system services it runs, and the
// readiness probes of the boot timeline.
#pragma once

#include "init/boot_options.h"
#include "init/supervisor.h"

namespace corral::init {

// Where the system engine listens.
inline constexpr const char* kSystemEngineSocket = "/var/run/system-docker.sock";

// Starts the system engine and the system services under `supervisor`, and registers the
// readiness probes (engine, sshd, user engine). Without an engine in this build, starts a
// console shell instead so the machine stays usable.
void start_system(Supervisor& supervisor, const BootOptions& options);

}  // namespace corral::init
