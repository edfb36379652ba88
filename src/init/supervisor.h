// PID 1's event loop: restarts the console shell when it dies, turns signals and the ACPI power
// button into an orderly shutdown, runs what the system engine asks for on its descriptors, and
// records when sshd and the user engine become ready. Waits on epoll; never sleeps, never
// returns. Children are reaped by the process-wide reaper (base/reaper.h): a kept child is
// watched through its pidfd.
#pragma once

#include <sys/types.h>

#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/fd.h"
#include "base/process.h"
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

    // A child restarted by `start` whenever it exits (the console shell, a recovery shell).
    // `start` runs once now.
    void keep_running(std::string name, std::function<ErrorOr<Child>()> start);
    // Runs `handler` on the supervisor's thread whenever `fd` is readable, until unwatch(fd).
    ErrorOr<void> watch(int fd, std::function<void()> handler);
    void unwatch(int fd);
    // Stops the system engine (its containers within the timeout, then its API) at shutdown,
    // before everything else is killed; returns when done or when its own time is up.
    void set_engine_stopper(std::function<void(int timeout_seconds)> stop) {
        engine_stopper_ = std::move(stop);
    }
    void add_probe(ReadinessProbe probe) { probes_.push_back(std::move(probe)); }
    // Looks for power buttons again once `ready_fd` is readable (the end of a module stage
    // that loads their driver): those seen when run() began are kept.
    void open_power_buttons_after(int ready_fd);
    // rancher.shutdown_timeout, asked for when the shutdown begins (the configuration may have
    // changed since boot).
    void set_shutdown_timeout(std::function<int()> seconds) {
        shutdown_timeout_ = std::move(seconds);
    }

    [[noreturn]] void run();

  private:
    Supervisor() = default;
    struct Kept {
        std::string name;
        std::function<ErrorOr<Child>()> start;
        std::optional<Child> child;
        int restarts = 0;
        int64_t last_start_ns = 0;
    };
    void start_kept(Kept& kept);
    void kept_exited(Kept& kept);
    void handle_signals();
    void handle_power_button(int fd);
    void run_probes();
    void open_power_buttons();
    [[noreturn]] void shut_down_for(PowerAction action);

    UniqueFd epoll_;
    UniqueFd signals_;
    UniqueFd probe_timer_;
    UniqueFd restart_timer_;
    std::map<std::string, UniqueFd> power_buttons_;  // by /sys/class/input name ("event0")
    std::list<Kept> kept_;  // stable addresses: watch handlers refer to them
    std::map<int, std::function<void()>> watches_;
    std::vector<ReadinessProbe> probes_;
    std::function<void(int)> engine_stopper_;
    std::function<int()> shutdown_timeout_;
    int64_t probes_started_ns_ = 0;
};

}  // namespace corral::init
