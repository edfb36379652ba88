// PID 1's event loop: reaps every child, restarts the system engine and the console shell when
// they die, turns signals and the ACPI power button into an orderly shutdown, and records
// when sshd and the user engine become ready. Waits on epoll; never sleeps, never returns.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/fd.h"
#include "init/power.h"

namespace corral::init {

// A readiness probe: `check` is polled until it holds once, then `event` goes to the boot
// timeline.
struct ReadinessProbe {
    std::string event;
    std::function<bool()> check;
};

// sshd listening on port 22 (from /proc/net/tcp{,6}).
bool tcp_port_listening(int port);
// A unix socket that accepts connections.
bool unix_socket_accepts(const std::string& path);

class Supervisor {
  public:
    // Blocks the signals PID 1 reads (call before starting any child) and opens the signalfd.
    static ErrorOr<std::unique_ptr<Supervisor>> create();

    // A child restarted by `start` whenever it exits (the system engine, the console shell).
    // `start` runs once now.
    void keep_running(std::string name, std::function<ErrorOr<pid_t>()> start);
    // The child that shutdown stops first, waiting rancher.shutdown_timeout for it.
    void set_engine_name(std::string name) { engine_name_ = std::move(name); }
    void add_probe(ReadinessProbe probe) { probes_.push_back(std::move(probe)); }
    void set_shutdown_timeout(int seconds) { shutdown_timeout_seconds_ = seconds; }

    [[noreturn]] void run();

  private:
    Supervisor() = default;
    struct Kept {
        std::string name;
        std::function<ErrorOr<pid_t>()> start;
        pid_t pid = 0;
        int restarts = 0;
        int64_t last_start_ns = 0;
    };
    void start_kept(Kept& kept);
    void reap();
    void handle_signals();
    void handle_power_button(int fd);
    void run_probes();
    void open_power_buttons();
    [[noreturn]] void shut_down_for(PowerAction action);

    UniqueFd epoll_;
    UniqueFd signals_;
    UniqueFd probe_timer_;
    UniqueFd restart_timer_;
    std::vector<UniqueFd> power_buttons_;
    std::vector<Kept> kept_;
    std::vector<ReadinessProbe> probes_;
    std::string engine_name_;
    int shutdown_timeout_seconds_ = 60;
    int64_t probes_started_ns_ = 0;
};

}  // namespace corral::init
