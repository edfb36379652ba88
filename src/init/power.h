// Power actions: which signal to PID 1 asks for which, and the orderly shutdown PID 1 runs.
#pragma once

#include <sys/types.h>

#include <functional>
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
    // Stops the system engine (in this process) and its containers, first; bounded by itself.
    std::function<void()> stop_engine;
    int process_grace_seconds = 3;  // between SIGTERM and SIGKILL for everything else
};

// Closes this process's descriptors of regular files and directories whose file system is
// not `keep` (a device number): at shutdown PID 1's own open files, the engine's log first,
// would keep the state disk busy, and a busy ext4 can be neither unmounted nor made read-only,
// so the next boot would replay its journal. Returns how many it closed.
int close_files_off(dev_t keep);

// Stops everything, syncs, unmounts, and calls reboot(2). Does not return; if the reboot call
// itself fails it halts the CPU loop-free by pausing forever (never a panic). Waits for the
// other processes to end through the reaper (base/reaper.h), which must be enabled.
[[noreturn]] void shut_down(const ShutdownPlan& plan);

}  // namespace corral::init
