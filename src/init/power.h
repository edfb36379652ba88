// Power actions: which signal to PID 1 asks for which, and the orderly shutdown PID 1 runs.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string_view>

namespace corral::init {

enum class PowerAction { poweroff, reboot, halt };

std::string_view power_action_name(PowerAction action);

// The signals PID 1 takes as requests, as busybox init reads them: SIGUSR2 (and SIGPWR)
// power off, SIGTERM reboots, SIGINT (ctrl-alt-del) reboots, SIGUSR1 halts.
std::optional<PowerAction> power_action_for_signal(int signal_number);
int signal_for_power_action(PowerAction action);

// The program name of `poweroff`, `reboot`, `halt` (basename of argv[0]).
std::optional<PowerAction> power_action_for_program(std::string_view program);

struct ShutdownPlan {
    PowerAction action = PowerAction::poweroff;
    // The system engine, stopped first so it can stop its containers; 0 when none runs.
    pid_t engine_pid = 0;
    int engine_timeout_seconds = 60;  // rancher.shutdown_timeout
    int process_grace_seconds = 3;    // between SIGTERM and SIGKILL for everything else
    // A signalfd that reads SIGCHLD: waits wake on child exits instead of polling.
    int child_signal_fd = -1;
};

// Stops everything, syncs, unmounts, and calls reboot(2). Does not return; if the reboot call
// itself fails it halts the CPU loop-free by pausing forever (never a panic).
[[noreturn]] void shut_down(const ShutdownPlan& plan);

}  // namespace corral::init
