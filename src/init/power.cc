#include "init/power.h"

#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "base/fs.h"
#include "base/sys.h"
#include "init/console.h"

namespace corral::init {

std::string_view power_action_name(PowerAction action) {
    switch (action) {
        case PowerAction::poweroff:
            return "poweroff";
        case PowerAction::reboot:
            return "reboot";
        case PowerAction::halt:
            return "halt";
    }
    return "poweroff";
}

std::optional<PowerAction> power_action_for_signal(int signal_number) {
    switch (signal_number) {
        case SIGUSR2:
        case SIGPWR:
            return PowerAction::poweroff;
        case SIGTERM:
        case SIGINT:
            return PowerAction::reboot;
        case SIGUSR1:
            return PowerAction::halt;
        default:
            return std::nullopt;
    }
}

int signal_for_power_action(PowerAction action) {
    switch (action) {
        case PowerAction::poweroff:
            return SIGUSR2;
        case PowerAction::reboot:
            return SIGTERM;
        case PowerAction::halt:
            return SIGUSR1;
    }
    return SIGUSR2;
}

std::optional<PowerAction> power_action_for_program(std::string_view program) {
    auto slash = program.rfind('/');
    if (slash != std::string_view::npos)
        program.remove_prefix(slash + 1);
    if (program == "poweroff")
        return PowerAction::poweroff;
    if (program == "reboot")
        return PowerAction::reboot;
    if (program == "halt")
        return PowerAction::halt;
    return std::nullopt;
}

namespace {

// Reaps every exited child; returns whether `watched` (if not 0) was among them.
bool reap_all(pid_t watched) {
    bool seen = false;
    for (;;) {
        int status = 0;
        pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid <= 0)
            return seen;
        if (pid == watched)
            seen = true;
    }
}

// Waits until `done()` holds or the time runs out, waking on each SIGCHLD (read from PID 1's
// signalfd; other signals read there during shutdown are dropped: the shutdown is under way).
template <typename Done>
bool wait_until(int signal_fd, int64_t timeout_ms, Done done) {
    int64_t deadline = sys::monotonic_ns() + timeout_ms * 1'000'000;
    for (;;) {
        if (done())
            return true;
        int64_t left_ms = (deadline - sys::monotonic_ns()) / 1'000'000;
        if (left_ms <= 0)
            return false;
        if (signal_fd < 0) {
            ::poll(nullptr, 0, static_cast<int>(std::min<int64_t>(left_ms, 50)));
            continue;
        }
        pollfd poll_fd{signal_fd, POLLIN, 0};
        if (::poll(&poll_fd, 1, static_cast<int>(left_ms)) > 0) {
            signalfd_siginfo info[16];
            (void)!::read(signal_fd, info, sizeof(info));
        }
    }
}

bool no_children_left() {
    reap_all(0);
    int status = 0;
    return ::waitpid(-1, &status, WNOHANG) < 0 && errno == ECHILD;
}

std::vector<std::string> mount_points_deepest_first() {
    std::vector<std::string> points;
    auto info = fs::read_file("/proc/self/mountinfo");
    if (!info)
        return points;
    std::istringstream lines(*info);
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        std::string id, parent, device, root, mount_point;
        fields >> id >> parent >> device >> root >> mount_point;
        points.push_back(mount_point);
    }
    std::reverse(points.begin(), points.end());
    return points;
}

}  // namespace

void shut_down(const ShutdownPlan& plan) {
    console_line("CorralOS is going down for " + std::string(power_action_name(plan.action)));
    if (plan.engine_pid > 0) {
        ::kill(plan.engine_pid, SIGTERM);
        bool engine_gone = false;
        bool stopped = wait_until(plan.child_signal_fd,
                                  int64_t(plan.engine_timeout_seconds) * 1000 + 2000, [&] {
                                      engine_gone = engine_gone || reap_all(plan.engine_pid);
                                      return engine_gone;
                                  });
        if (!stopped)
            console_line("the system engine did not stop in time; killing it");
    }
    ::kill(-1, SIGTERM);
    if (!wait_until(plan.child_signal_fd, int64_t(plan.process_grace_seconds) * 1000,
                    no_children_left)) {
        ::kill(-1, SIGKILL);
        wait_until(plan.child_signal_fd, 2000, no_children_left);
    }
    ::sync();
    // Unmount deepest first; what stays busy is made read-only so the disk is clean.
    for (const auto& point : mount_points_deepest_first()) {
        if (point == "/")
            continue;
        if (::umount2(point.c_str(), 0) < 0)
            ::mount(nullptr, point.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr);
    }
    ::sync();
    switch (plan.action) {
        case PowerAction::poweroff:
            ::reboot(RB_POWER_OFF);
            break;
        case PowerAction::reboot:
            ::reboot(RB_AUTOBOOT);
            break;
        case PowerAction::halt:
            ::reboot(RB_HALT_SYSTEM);
            break;
    }
    console_line("reboot(2) failed; the system is halted");
    for (;;)
        ::pause();
}

}  // namespace corral::init
