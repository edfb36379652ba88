// The system engine daemon: the image store, the engine and the API server on a unix socket,
// run until SIGTERM/SIGINT (or a stop fd). `system-dockerd` calls it from the command line;
// PID 1 calls it too, with its own stop fd and a callback to bring up the system services.
#pragma once

#include <functional>
#include <string>

#include "base/error.h"
#include "engine/engine.h"
#include "image/store.h"

namespace corral::api {

struct DaemonOptions {
    std::string socket_path = "/var/run/system-docker.sock";
    std::string data_root = "/var/lib/system-docker";
    std::string exec_root = "/var/run/system-docker";
    // Written at start, removed at exit; empty: none.
    std::string pidfile = "/var/run/system-docker.pid";
    // Socket permissions (root:root, mode 0660 as dockerd's).
    mode_t socket_mode = 0660;
    // On an ordinary host (not PID 1): unshare a private mount namespace first, mount cgroup2,
    // and ask the engine for host-mode limits.
    bool host_mode = false;
    // Stop on SIGTERM/SIGINT (blocked in the calling thread, read through a signalfd). PID 1
    // handles signals itself and passes `stop_fd` instead.
    bool handle_signals = true;
    int stop_fd = -1;  // readable → stop; -1 for none
    // Called on its own thread once the API answers on the socket (PID 1 starts services).
    std::function<void(engine::Engine&, image::Store&)> on_ready;
    // Engine settings beyond the roots (shim path, runtime, limits).
    engine::EngineOptions engine;
    // Image store settings (insecure registries, ...); its root is <data_root>/image.
    image::StoreOptions store;
};

// Runs until asked to stop, then stops serving, removes the socket and the pidfile and
// returns. Containers keep running: the next start re-adopts them.
ErrorOr<void> run_daemon(DaemonOptions options);

// "unix:///var/run/x.sock" or "/var/run/x.sock" → the path; other schemes are refused.
ErrorOr<std::string> parse_host_address(std::string_view address);

}  // namespace corral::api
