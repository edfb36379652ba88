#include "init/system_engine.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <sys/timerfd.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <set>
#include <thread>

#include "api/daemon.h"
#include "base/boot_timeline.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/sys.h"
#include "engine/engine.h"
#include "image/registry.h"
#include "init/boot_media.h"
#include "init/console.h"
#include "init/kernel_modules.h"
#include "init/pending_boot.h"
#include "init/service_engine.h"
#include "init/system_services.h"
#include "runtime/host_mode.h"
#include "runtime/runtime.h"

namespace corral::init {

namespace {

constexpr const char* kEngineLog = "/var/log/system-docker.log";
// In /run (tmpfs): present once the services were brought up in this boot.
constexpr const char* kServicesUpMarker = "/run/corral/services-up";
// A daemon that fails sooner than this after its start counts as a quick failure; after
// kQuickFailuresBeforeRecovery of them in a row the console gets a recovery shell instead.
constexpr int64_t kQuickFailureNs = 10'000'000'000;
constexpr int kQuickFailuresBeforeRecovery = 5;
constexpr int64_t kRestartDelayNs = 2'000'000'000;
// At shutdown, beyond rancher.shutdown_timeout: SIGKILL for containers that ignored the stop
// signal and their exit, then the API closing and the engine letting go.
constexpr int kKillGraceSeconds = 5;
constexpr int kDaemonStopSeconds = 10;

// rancher.autologin names consoles that get a root shell without a login.
bool autologin_on_serial(const BootOptions& options) {
    for (const auto& console : options.autologin) {
        if (console == "ttyS0" || console == "console")
            return true;
    }
    return false;
}

void arm_timer(int fd, int64_t ns) {
    itimerspec spec{};
    spec.it_value.tv_sec = ns / 1'000'000'000;
    spec.it_value.tv_nsec = ns % 1'000'000'000;
    ::timerfd_settime(fd, 0, &spec, nullptr);
}

// The system engine inside PID 1: api::run_daemon on its own thread (the API serves on more),
// started again when it fails. PID 1's reaper thread hands the engine the exit statuses of its
// own children. At shutdown every container is stopped (rancher.shutdown_timeout) before the
// daemon is told to stop: the daemon alone leaves containers running for a later re-adopt,
// which is right for a daemon restart but not for a poweroff.
class SystemEngine {
  public:
    static ErrorOr<SystemEngine*> create(Supervisor& supervisor, const BootOptions& options,
                                         std::unique_ptr<PendingBoot> pending) {
        // Never freed: PID 1 never exits, and threads the shutdown gives up on may still use it.
        auto* system = new SystemEngine(supervisor, options, std::move(pending));
        int timer = ::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        if (timer < 0)
            return Error::from_errno("timerfd_create", "system engine restart", errno);
        system->restart_timer_.reset(timer);
        TRY(supervisor.watch(timer, [system] {
            uint64_t expirations = 0;
            (void)!::read(system->restart_timer_.get(), &expirations, sizeof expirations);
            system->start();
        }));
        // The engine's own log; the console keeps only what a person must see.
        int log_fd = ::open(kEngineLog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (log_fd >= 0)
            log::set_fd(log_fd);
        return system;
    }

    // Starts the daemon thread; a failure to start is handled as a daemon failure.
    void start() {
        started_ns_ = sys::monotonic_ns();
        auto started = start_daemon();
        if (!started)
            daemon_failed("cannot start: " + started.error().message());
    }

    // Shutdown, on the supervisor's thread: containers, then the daemon, bounded in time.
    void stop(int timeout_seconds) {
        if (!daemon_.joinable())
            return;  // failed, waiting for its restart: nothing to stop
        supervisor_.unwatch(done_fd_.get());
        int64_t begin = sys::monotonic_ns();
        console_line("stopping the system containers (up to " + std::to_string(timeout_seconds) +
                     " s)");
        // Stopping the console container (its getty on the serial line) may hang up the line.
        drain_terminal(STDOUT_FILENO, kConsoleDrainMs);
        // On a thread of its own, so that the wait below stays bounded whatever hangs.
        std::thread([this, timeout_seconds, stop_fd = stop_fd_.get()] {
            engine::Engine* engine = nullptr;
            {
                std::lock_guard lock(mutex_);
                engine = engine_;
            }
            if (engine)
                engine->stop_all(timeout_seconds);
            phase_ = "closing its API";
            uint64_t one = 1;
            (void)!::write(stop_fd, &one, sizeof one);
        }).detach();
        int64_t budget_ms =
            int64_t(timeout_seconds + kKillGraceSeconds + kDaemonStopSeconds) * 1000;
        int64_t deadline = begin + budget_ms * 1'000'000;
        pollfd done{done_fd_.get(), POLLIN, 0};
        for (;;) {
            int64_t left_ms = (deadline - sys::monotonic_ns()) / 1'000'000;
            if (left_ms <= 0)
                break;
            if (::poll(&done, 1, static_cast<int>(left_ms)) > 0)
                break;
        }
        double seconds = double(sys::monotonic_ns() - begin) / 1e9;
        char took[32];
        std::snprintf(took, sizeof took, "%.1f s", seconds);
        if (done.revents & POLLIN) {
            daemon_.join();
            console_line(std::string("system engine stopped in ") + took);
        } else {
            // Going on is safe: what still runs is killed next, and the engine's threads are
            // ended by the reboot.
            console_line(std::string("the system engine did not stop within ") + took + " (" +
                         phase_.load() + "); going on");
            daemon_.detach();
        }
    }

  private:
    SystemEngine(Supervisor& supervisor, BootOptions options, std::unique_ptr<PendingBoot> pending)
        : supervisor_(supervisor), options_(std::move(options)), pending_(std::move(pending)) {}

    ErrorOr<void> start_daemon() {
        UniqueFd stop_fd(::eventfd(0, EFD_CLOEXEC));
        UniqueFd done_fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        if (!stop_fd || !done_fd)
            return Error::from_errno("eventfd", "system engine", errno);
        TRY(supervisor_.watch(done_fd.get(), [this] { daemon_ended(); }));
        stop_fd_ = std::move(stop_fd);
        done_fd_ = std::move(done_fd);
        phase_ = "stopping containers";
        daemon_ = std::thread([this, stop = stop_fd_.get(), done = done_fd_.get()] {
            auto result = run_daemon(stop);
            {
                std::lock_guard lock(mutex_);
                engine_ = nullptr;
                result_ = std::move(result);
            }
            uint64_t one = 1;
            (void)!::write(done, &one, sizeof one);
        });
        return {};
    }

    ErrorOr<void> run_daemon(int stop_fd) {
        api::DaemonOptions daemon;
        daemon.socket_path = kSystemEngineSocket;
        daemon.handle_signals = false;
        daemon.stop_fd = stop_fd;
        daemon.engine.default_stop_timeout = 10;
        // The bring-up decides about the service containers of the last boot (kept, started or
        // made again) and then applies restart policies to the other containers: the engine
        // starting them itself first would start old definitions only to replace them.
        daemon.engine.restore_restart_policies = false;
        // rancher.system_docker.insecure_registry, read at each pull rather than now: on the
        // first boot cloud-init saves the datasource's cloud-config after the engine started,
        // and `ros config set` then applies without a restart (and after a reboot). Reading
        // it only when a pull needs it keeps it off the boot path.
        daemon.store.insecure_registries_source = [this] { return insecure_registries(); };
        // libcurl is on the boot medium, whose mount the bring-up may not have waited for.
        daemon.store.before_pull = [this] {
            if (pending_)
                (void)pending_->wait_for_media();
        };
        daemon.on_ready = [this](engine::Engine& engine, image::Store& store) {
            {
                std::lock_guard lock(mutex_);
                engine_ = &engine;
            }
            (void)boot_timeline::record("engine ready");
            // The engine started while init's modules loaded and the boot medium was being
            // mounted. The system images need the medium, unless the store has every image
            // the initrd's manifests name (a boot after the first, same release); the
            // services need the system part of the modules, not the other disks' drivers
            // (cloud-init waits for those itself).
            if (system_images_present(store, kSystemImageManifests)) {
                (void)boot_timeline::record("system images present");
            } else {
                if (auto media = pending_ ? pending_->wait_for_media() : std::nullopt) {
                    std::string images = *media + "/" + std::string(kImagesDirectory);
                    for (const auto& problem : load_system_images(store, images))
                        console_line("warning: system images: " + problem);
                }
                (void)boot_timeline::record("system images loaded");
            }
            if (pending_) {
                pending_->wait_for_system_modules();
                (void)boot_timeline::record("system modules loaded");
            }
            (void)boot_timeline::record("bring-up started");
            // A second bring-up in one boot (the daemon was restarted) finds the marker.
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
            console_line("system services up: " + std::to_string(report.started.size()) +
                         " started (" + std::to_string(report.made.size()) + " containers made, " +
                         std::to_string(report.started.size() - report.made.size()) + " kept)");
        };
        return api::run_daemon(daemon);
    }

    // On a thread of a pull: the configured insecure registries; a problem shows on the
    // console the first time it is seen.
    std::vector<std::string> insecure_registries() {
        auto configured = configured_insecure_registries(config::LayerPaths{});
        std::lock_guard lock(reported_mutex_);
        for (const auto& problem : configured.problems) {
            if (reported_problems_.insert(problem).second)
                console_line("warning: " + problem);
        }
        return std::move(configured.entries);
    }

    // On the supervisor's thread: the daemon returned without being asked to.
    void daemon_ended() {
        uint64_t count = 0;
        (void)!::read(done_fd_.get(), &count, sizeof count);
        supervisor_.unwatch(done_fd_.get());
        daemon_.join();
        ErrorOr<void> result;
        {
            std::lock_guard lock(mutex_);
            result = std::move(result_);
        }
        daemon_failed(result ? std::string("stopped on its own")
                             : "failed: " + result.error().message());
    }

    void daemon_failed(const std::string& what) {
        console_line("system engine " + what);
        if (sys::monotonic_ns() - started_ns_ < kQuickFailureNs)
            ++quick_failures_;
        else
            quick_failures_ = 0;
        if (quick_failures_ >= kQuickFailuresBeforeRecovery) {
            console_line("the system engine keeps failing (" + std::string(kEngineLog) +
                         "); recovery shell on the console");
            if (!autologin_on_serial(options_))
                supervisor_.keep_running("recovery shell", start_console_shell);
            return;
        }
        console_line("starting the system engine again");
        arm_timer(restart_timer_.get(), quick_failures_ > 0 ? kRestartDelayNs : 1);
    }

    Supervisor& supervisor_;
    BootOptions options_;
    std::unique_ptr<PendingBoot> pending_;  // null: nothing was left pending
    std::thread daemon_;
    UniqueFd stop_fd_;  // readable: the daemon stops
    UniqueFd done_fd_;  // readable: the daemon returned
    UniqueFd restart_timer_;
    std::mutex mutex_;
    engine::Engine* engine_ = nullptr;  // guarded by mutex_; set once the API answers
    ErrorOr<void> result_;              // guarded by mutex_
    std::mutex reported_mutex_;
    std::set<std::string> reported_problems_;  // guarded by reported_mutex_
    std::atomic<const char*> phase_{"stopping containers"};
    int64_t started_ns_ = 0;
    int quick_failures_ = 0;
};

}  // namespace

InsecureRegistries configured_insecure_registries(const config::LayerPaths& paths) {
    InsecureRegistries result;
    config::CloudConfig typed = config::load_config(paths).typed();
    for (auto& entry : typed.rancher.system_docker.insecure_registry) {
        if (auto checked = image::check_insecure_registry(entry); !checked) {
            result.problems.push_back("rancher.system_docker.insecure_registry: " +
                                      checked.error().message() + " (left out)");
            continue;
        }
        result.entries.push_back(std::move(entry));
    }
    return result;
}

void prepare_engine_cgroups() {
    auto prepared = runtime::prepare_cgroup_parent(runtime::RuntimeOptions{}.cgroup_mount,
                                                   engine::EngineOptions{}.cgroup_parent);
    if (!prepared)
        log::debug("cgroup parent before the boot threads: " + prepared.error().message());
}

void start_system(Supervisor& supervisor, const BootOptions& options,
                  std::unique_ptr<PendingBoot> pending) {
    supervisor.add_probe({"sshd ready", [] { return tcp_port_listening(22); }});
    supervisor.add_probe(
        {"docker ready", [] { return unix_socket_accepts("/var/run/docker.sock"); }});
    if (autologin_on_serial(options))
        supervisor.keep_running("console shell", start_console_shell);
    auto system = SystemEngine::create(supervisor, options, std::move(pending));
    if (!system) {
        console_line("cannot run the system engine: " + system.error().message());
        if (!autologin_on_serial(options))
            supervisor.keep_running("recovery shell", start_console_shell);
        return;
    }
    supervisor.set_engine_stopper([engine = *system](int timeout) { engine->stop(timeout); });
    (*system)->start();
}

}  // namespace corral::init
