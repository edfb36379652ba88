// PID 1: the boot sequence of DESIGN.md ("How a machine boots"), then the system engine on its
// threads and the supervisor loop on this one.
// Never throws, never exits: any failure ends in a recovery shell on the console.
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/block_label.h"
#include "base/boot_timeline.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/reaper.h"
#include "cli/entry.h"
#include "init/boot_options.h"
#include "init/console.h"
#include "init/early_mounts.h"
#include "init/kernel_modules.h"
#include "init/pending_boot.h"
#include "init/state_disk.h"
#include "init/supervisor.h"
#include "init/switch_root.h"
#include "init/system_engine.h"
#include "init/system_settings.h"

namespace corral::cli {

namespace {

using init::console_line;

// Events of this boot kept in memory until /var/log is in place.
class Timeline {
  public:
    void add(std::string event) { add(boot_timeline::now_seconds(), std::move(event)); }
    void add(double seconds, std::string event) {
        events_.emplace_back(seconds, std::move(event));
        // At the time it happened: the end of the module loading is added once init waits
        // for it, which may be after the file was opened.
        if (file_open_)
            (void)boot_timeline::record_at(seconds, events_.back().second);
    }
    // Starts this boot's file (replacing the previous boot's) with every event so far.
    void open_file() {
        std::string text = boot_timeline::format_line(0, "kernel");
        for (const auto& [seconds, event] : events_)
            text += boot_timeline::format_line(seconds, event);
        (void)fs::mkdir_p(fs::dirname(std::string(boot_timeline::kDefaultPath)));
        file_open_ = bool(fs::write_file_atomic(std::string(boot_timeline::kDefaultPath), text));
    }

  private:
    std::vector<std::pair<double, std::string>> events_;
    bool file_open_ = false;
};

struct BootState {
    init::BootOptions options;
    std::unique_ptr<init::PendingBoot> pending;
};

// Steps 1-7 of the boot (docs/boot.md). Returns an error only for what leaves no usable system.
ErrorOr<void> boot(BootState& state, Timeline& timeline) {
    TRY_CONTEXT(init::apply_mounts(init::early_mounts()), "early mounts");
    init::attach_console();
    console_line("CorralOS " CORRAL_VERSION " booting");

    auto command_line = fs::read_file("/proc/cmdline");
    if (command_line)
        state.options = init::parse_boot_options(*command_line);
    if (state.options.debug)
        log::set_level(log::Level::debug);
    for (const auto& key : state.options.unknown_keys)
        console_line("warning: ignoring bad kernel command line value " + key);

    // Before the module threads: see prepare_engine_cgroups.
    init::prepare_engine_cgroups();

    // The kernel modules load on a thread while init goes on: the state disk is taken as soon
    // as its driver brings it, and the engine starts while the others still load and probe.
    log::debug("loading kernel modules");
    auto modules = init::ModuleLoader::start(std::string(init::kModuleList));
    if (!modules) {
        console_line("warning: kernel modules on a thread: " + modules.error().message());
        init::report_modules(init::load_module_list(std::string(init::kModuleList)));
        timeline.add("modules loaded");
    }
    state.pending = std::make_unique<init::PendingBoot>(modules ? std::move(*modules) : nullptr);
    init::PendingBoot& pending = *state.pending;
    int modules_done_fd = pending.modules_done_fd();

    if (init::running_from_initramfs()) {
        log::debug("making / a bind mount of the initramfs");
        TRY_CONTEXT(init::switch_to_bound_root(), "switch to a bind mount of the initramfs");
        TRY_CONTEXT(init::apply_mounts(init::early_mounts()), "early mounts in the new root");
        timeline.add("root switched");
    }

    std::string hostname = state.options.hostname;
    if (hostname.empty()) {
        auto stored = fs::read_file("/etc/hostname");
        hostname = stored && !stored->empty() ? stored->substr(0, stored->find('\n')) : "rancher";
    }
    if (auto set = init::set_hostname(hostname); !set)
        console_line("warning: " + set.error().message());
    for (const auto& failure : init::apply_sysctls(init::default_sysctls()))
        log::debug("sysctl " + failure);

    log::debug("looking for the state disk");
    if (state.options.no_state) {
        console_line("state disk disabled on the command line: running in RAM");
    } else {
        auto device = init::find_or_format_state(state.options, modules_done_fd);
        if (!device) {
            console_line("WARNING: state disk: " + device.error().message() +
                         "; running in RAM, nothing will persist");
        } else if (!*device) {
            console_line("WARNING: no state disk (" + state.options.state_device +
                         ") found: running in RAM, nothing will persist");
        } else {
            if ((*device)->formatted_now)
                console_line("formatted " + (*device)->path + " as RANCHER_STATE");
            pending.wait_for_file_system(state.options.state_fstype, state.options.state_fstype);
            auto mounted = init::mount_state(**device, state.options);
            if (mounted) {
                console_line("state disk " + (*device)->path + " mounted on " +
                             std::string(init::kStateMount));
                timeline.add("state mounted");
            } else {
                console_line("WARNING: cannot mount the state disk " + (*device)->path + ": " +
                             mounted.error().message() + "; running in RAM, nothing will persist");
            }
        }
    }
    for (auto directory : init::persistent_directories())
        (void)fs::mkdir_p(std::string(directory));
    // Bind sources of the system services (os-config.yml's volume holders) that live on the
    // state disk.
    for (const char* directory : {"/var/lib/rancher/conf", "/var/lib/rancher/cache",
                                  "/var/lib/rancher/preload/docker", "/var/lib/rancher/ssh"})
        (void)fs::mkdir_p(directory);
    timeline.open_file();
    // The bring-up does not wait for the other disks' drivers; cloud-init does, while this
    // marker is there (and the stage's end, "modules loaded", is recorded then).
    pending.mark_modules_loading(std::string(block::kDiskDriversLoading));

    // The boot medium carries the system images: the engine waits for it only to load them.
    pending.start_media_mount(10);
    // Containers need overlay (and the engine's copy of crun is on one).
    pending.wait_for_file_system("overlay", "overlay");
    return {};
}

[[noreturn]] void last_resort_shell() {
    console_line("starting a shell as PID 1");
    char shell[] = "/bin/sh";
    char* arguments[] = {shell, nullptr};
    ::execv(shell, arguments);
    for (;;)
        ::pause();
}

int run_init() {
    // The kernel starts us with HOME and TERM only.
    ::setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
    auto supervisor = init::Supervisor::create();
    if (!supervisor) {
        (void)init::apply_mounts(init::early_mounts());
        init::attach_console();
        console_line("fatal: " + supervisor.error().message());
        last_resort_shell();
    }
    // After the supervisor blocked the signals it reads: from here on every child is reaped
    // by the reaper's thread, and waited for only through it.
    auto reaping = reaper::enable();
    Timeline timeline;
    timeline.add("init");
    BootState state;
    auto booted = boot(state, timeline);
    init::Supervisor& pid1 = **supervisor;
    // The power button's driver is in the boot stage, which may still be loading.
    if (state.pending && state.pending->modules_done_fd() >= 0)
        pid1.open_power_buttons_after(state.pending->modules_done_fd());
    pid1.set_shutdown_timeout([booted_with = state.options.shutdown_timeout_seconds] {
        return init::configured_shutdown_timeout(booted_with);
    });
    if (!booted) {
        init::attach_console();
        console_line("boot failed: " + booted.error().message());
        console_line("recovery shell on the console; `poweroff` or `reboot` when done");
        pid1.keep_running("recovery shell", init::start_console_shell);
        pid1.run();
    }
    if (!reaping)
        console_line("warning: no reaper thread (" + reaping.error().message() +
                     "): orphaned processes stay zombies");
    console_line("CorralOS " CORRAL_VERSION " started");
    timeline.add("started");
    if (state.options.recovery) {
        console_line("rancher.recovery: recovery shell on the console, no system engine");
        pid1.keep_running("recovery shell", init::start_console_shell);
        pid1.run();
    }
    init::start_system(pid1, state.options, std::move(state.pending));
    pid1.run();
}

}  // namespace

int init_main(int, char**) {
    if (::getpid() != 1) {
        std::fprintf(stderr, "init: must run as process 1 (the first process of the system)\n");
        return 1;
    }
    try {
        return run_init();
    } catch (const std::exception& error) {
        console_line(std::string("fatal: ") + error.what());
    } catch (...) {
        console_line("fatal: unknown exception");
    }
    last_resort_shell();
}

}  // namespace corral::cli
