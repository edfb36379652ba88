#include "init/power.h"

#include <signal.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "base/fs.h"
#include "base/log.h"
#include "base/reaper.h"
#include "base/sys.h"
#include "init/console.h"
#include "init/mount_table.h"

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

// The kernel lists a mount after its parent: reversed, children come first.
std::vector<MountInfo> mount_points_deepest_first() {
    auto table = read_mount_table();
    if (!table)
        return {};
    std::reverse(table->begin(), table->end());
    return std::move(*table);
}

}  // namespace

int close_files_off(dev_t keep) {
    auto names = fs::list_dir("/proc/self/fd");
    if (!names)
        return 0;
    int closed = 0;
    for (const auto& name : *names) {
        int fd = std::atoi(name.c_str());
        struct stat status {};
        if (fd <= STDERR_FILENO || ::fstat(fd, &status) < 0)
            continue;
        if ((S_ISREG(status.st_mode) || S_ISDIR(status.st_mode)) && status.st_dev != keep) {
            ::close(fd);
            ++closed;
        }
    }
    return closed;
}

void shut_down(const ShutdownPlan& plan) {
    console_line("CorralOS is going down for " + std::string(power_action_name(plan.action)));
    if (plan.stop_engine)
        plan.stop_engine();
    // The console shell's exit below hangs up the console: what is queued for it goes first.
    drain_terminal(STDOUT_FILENO, kConsoleDrainMs);
    // What the engine did not stop: the console shell, processes users started from it.
    // SIGHUP too, as a hang-up of their terminal: an interactive shell ignores SIGTERM but
    // leaves on SIGHUP. SIGCONT wakes stopped processes so that they can act on both.
    int64_t processes_begin = sys::monotonic_ns();
    ::kill(-1, SIGTERM);
    ::kill(-1, SIGHUP);
    ::kill(-1, SIGCONT);
    if (reaper::wait_for_no_children(int64_t(plan.process_grace_seconds) * 1000)) {
        char took[32];
        std::snprintf(took, sizeof took, "%.1f s",
                      double(sys::monotonic_ns() - processes_begin) / 1e9);
        console_line(std::string("the other processes ended in ") + took);
    } else {
        console_line("processes still running after " + std::to_string(plan.process_grace_seconds) +
                     " s: SIGKILL");
        ::kill(-1, SIGKILL);
        if (!reaper::wait_for_no_children(2000))
            console_line("some processes did not end after SIGKILL");
    }
    // From here on PID 1 writes only to the console: its files on the disks go.
    log::set_fd(STDERR_FILENO);
    struct stat root {};
    if (::stat("/", &root) == 0)
        close_files_off(root.st_dev);
    ::sync();
    // Unmount deepest first; what stays busy is made read-only so the disk is clean.
    // A disk left read-write is said on the console (the other file systems are in memory).
    for (const auto& point : mount_points_deepest_first()) {
        if (point.mount_point == "/")
            continue;
        if (::umount2(point.mount_point.c_str(), 0) == 0)
            continue;
        int busy = errno;
        if (::mount(nullptr, point.mount_point.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr) <
                0 &&
            point.source.starts_with("/dev/"))
            console_line("warning: " + point.source + " on " + point.mount_point +
                         " stays mounted read-write (unmount: " + std::strerror(busy) +
                         "; read-only: " + std::strerror(errno) + "): the next boot recovers it");
    }
    ::sync();
    drain_terminal(STDOUT_FILENO, kConsoleDrainMs);
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
