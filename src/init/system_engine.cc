#include "init/system_engine.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "api/daemon.h"
#include "base/boot_timeline.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/sys.h"
#include "init/boot_media.h"
#include "init/console.h"
#include "init/kernel_modules.h"
#include "init/service_engine.h"
#include "init/system_services.h"

namespace corral::init {

namespace {

constexpr const char* kEngineLog = "/var/log/system-docker.log";
// In /run (tmpfs): present once the services were brought up in this boot.
constexpr const char* kServicesUpMarker = "/run/corral/services-up";

// The engine process: run_daemon on a thread, this thread waiting for PID 1's SIGTERM. On it,
// every container is stopped (rancher.shutdown_timeout) before the daemon is told to stop:
// the daemon alone leaves containers running for a later re-adopt, which is right for a daemon
// restart but not for a poweroff.
[[noreturn]] void run_engine_process(const BootOptions& options) {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGCHLD);
    ::sigprocmask(SIG_SETMASK, &mask, nullptr);
    // SIGCHLD stays blocked here (the engine waits its children by pid); other signals are
    // the defaults again.
    sigdelset(&mask, SIGCHLD);
    int signal_fd = ::signalfd(-1, &mask, SFD_CLOEXEC);
    int stop_fd = ::eventfd(0, EFD_CLOEXEC);
    int done_fd = ::eventfd(0, EFD_CLOEXEC);
    if (signal_fd < 0 || stop_fd < 0 || done_fd < 0) {
        console_line("system engine: cannot create its descriptors");
        ::_exit(1);
    }

    // The modules only services need (network cards, container networking) load while the
    // engine starts and checks its images; the services wait for them.
    std::thread later_modules([] {
        auto report = load_module_list(std::string(kModuleList), ModuleStage::later);
        if (!report) {
            console_line("warning: kernel modules: " + report.error().message());
            return;
        }
        for (const auto& failure : report->failed)
            console_line("warning: module " + failure);
        (void)boot_timeline::record("later modules loaded");
    });

    std::atomic<engine::Engine*> running_engine{nullptr};
    api::DaemonOptions daemon;
    daemon.socket_path = kSystemEngineSocket;
    daemon.handle_signals = false;
    daemon.stop_fd = stop_fd;
    daemon.engine.default_stop_timeout = 10;
    // The bring-up decides about the service containers of the last boot (kept, started or
    // made again) and then applies restart policies to the other containers: the engine
    // starting them itself first would start old definitions only to replace them.
    daemon.engine.restore_restart_policies = false;
    daemon.on_ready = [&](engine::Engine& engine, image::Store& store) {
        running_engine = &engine;
        (void)boot_timeline::record("engine ready");
        std::string images = std::string(kBootMediaMount) + "/" + std::string(kImagesDirectory);
        for (const auto& problem : load_system_images(store, images))
            console_line("warning: system images: " + problem);
        (void)boot_timeline::record("system images loaded");
        if (later_modules.joinable())
            later_modules.join();
        // A second bring-up in one boot (the engine process was restarted) finds the marker.
        bool again = ::access(kServicesUpMarker, F_OK) == 0;
        LocalEngine local(engine, store);
        auto report = bring_up_system_services(local, BringUpOptions{.again = again});
        for (const auto& note : report.notes)
            log::info("services: " + note);
        for (const auto& problem : report.problems)
            console_line("warning: " + problem);
        for (const auto& problem : restore_other_containers(engine))
            console_line("warning: restart policy: " + problem);
        (void)boot_timeline::record("services up");
        (void)fs::mkdir_p(fs::dirname(kServicesUpMarker));
        (void)fs::write_file_atomic(kServicesUpMarker, "");
        console_line("system services up: " + std::to_string(report.started.size()) + " started (" +
                     std::to_string(report.made.size()) + " containers made, " +
                     std::to_string(report.started.size() - report.made.size()) + " kept)");
    };
    ErrorOr<void> result;
    std::thread server([&] {
        result = api::run_daemon(daemon);
        uint64_t one = 1;
        (void)!::write(done_fd, &one, sizeof one);
    });
    pollfd waits[2] = {{signal_fd, POLLIN, 0}, {done_fd, POLLIN, 0}};
    while (::poll(waits, 2, -1) < 0 && errno == EINTR) {
    }
    if (waits[0].revents & POLLIN) {
        if (auto* engine = running_engine.load())
            engine->stop_all(options.shutdown_timeout_seconds);
        uint64_t one = 1;
        (void)!::write(stop_fd, &one, sizeof one);
    }
    server.join();
    if (later_modules.joinable())
        later_modules.join();
    if (!result) {
        console_line("system engine: " + result.error().message());
        ::_exit(1);
    }
    ::_exit(0);
}

ErrorOr<pid_t> start_engine_process(const BootOptions& options) {
    pid_t pid = ::fork();
    if (pid < 0)
        return Error::from_errno("fork", "system engine", errno);
    if (pid > 0)
        return pid;
    // Child: the engine's own log; the console keeps only what a person must see.
    int log_fd = ::open(kEngineLog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (log_fd >= 0) {
        ::dup2(log_fd, STDERR_FILENO);
        ::close(log_fd);
    }
    ::setsid();
    run_engine_process(options);
}

// rancher.autologin names consoles that get a root shell without a login.
bool autologin_on_serial(const BootOptions& options) {
    for (const auto& console : options.autologin) {
        if (console == "ttyS0" || console == "console")
            return true;
    }
    return false;
}

}  // namespace

void start_system(Supervisor& supervisor, const BootOptions& options) {
    supervisor.add_probe({"sshd ready", [] { return tcp_port_listening(22); }});
    supervisor.add_probe(
        {"docker ready", [] { return unix_socket_accepts("/var/run/docker.sock"); }});
    supervisor.set_engine_name("system engine");
    supervisor.keep_running("system engine", [options] { return start_engine_process(options); });
    if (autologin_on_serial(options))
        supervisor.keep_running("console shell", start_console_shell);
}

}  // namespace corral::init
