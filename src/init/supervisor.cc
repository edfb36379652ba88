#include "init/supervisor.h"

#include <fcntl.h>
#include <linux/input.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <sstream>

#include "base/boot_timeline.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/sys.h"
#include "init/console.h"

namespace corral::init {

namespace {

// SIGCHLD is not among them: the reaper's thread collects children with waitid.
constexpr int kHandledSignals[] = {SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGPWR, SIGHUP};
// rancher.shutdown_timeout when nobody said otherwise (os-config.yml says the same).
constexpr int kDefaultShutdownSeconds = 60;
constexpr int64_t kProbeIntervalNs = 100'000'000;
constexpr int64_t kProbeGiveUpNs = 600'000'000'000;
// A child that dies faster than this after its start is restarted with a delay, so a crash
// loop does not eat the CPU.
constexpr int64_t kQuickDeathNs = 2'000'000'000;

ErrorOr<void> epoll_add(int epoll_fd, int fd) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = fd;
    if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) < 0)
        return Error::from_errno("epoll_ctl", errno);
    return {};
}

void arm_timer(int fd, int64_t first_ns, int64_t interval_ns) {
    itimerspec spec{};
    spec.it_value.tv_sec = first_ns / 1'000'000'000;
    spec.it_value.tv_nsec = first_ns % 1'000'000'000;
    spec.it_interval.tv_sec = interval_ns / 1'000'000'000;
    spec.it_interval.tv_nsec = interval_ns % 1'000'000'000;
    ::timerfd_settime(fd, 0, &spec, nullptr);
}

}  // namespace

bool tcp_port_listening(int port) {
    char wanted[16];
    std::snprintf(wanted, sizeof(wanted), ":%04X", port);
    for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        auto text = fs::read_file(table);
        if (!text)
            continue;
        std::istringstream lines(*text);
        std::string line;
        std::getline(lines, line);  // header
        while (std::getline(lines, line)) {
            std::istringstream fields(line);
            std::string slot, local, remote, state;
            fields >> slot >> local >> remote >> state;
            if (state == "0A" && local.ends_with(wanted))
                return true;
        }
    }
    return false;
}

bool unix_socket_accepts(const std::string& path) {
    return bool(sys::unix_connect(path));
}

ErrorOr<std::unique_ptr<Supervisor>> Supervisor::create() {
    std::unique_ptr<Supervisor> supervisor(new Supervisor());
    sigset_t mask;
    sigemptyset(&mask);
    for (int signal_number : kHandledSignals)
        sigaddset(&mask, signal_number);
    if (::sigprocmask(SIG_BLOCK, &mask, nullptr) < 0)
        return Error::from_errno("sigprocmask", errno);
    int signal_fd = ::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (signal_fd < 0)
        return Error::from_errno("signalfd", errno);
    supervisor->signals_.reset(signal_fd);
    int epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd < 0)
        return Error::from_errno("epoll_create1", errno);
    supervisor->epoll_.reset(epoll_fd);
    for (auto* timer : {&supervisor->probe_timer_, &supervisor->restart_timer_}) {
        int fd = ::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        if (fd < 0)
            return Error::from_errno("timerfd_create", errno);
        timer->reset(fd);
        TRY(epoll_add(epoll_fd, fd));
    }
    TRY(epoll_add(epoll_fd, signal_fd));
    // ctrl-alt-del becomes SIGINT to us instead of an immediate reboot.
    ::reboot(RB_DISABLE_CAD);
    return supervisor;
}

void Supervisor::keep_running(std::string name, std::function<ErrorOr<Child>()> start) {
    Kept& kept = kept_.emplace_back();
    kept.name = std::move(name);
    kept.start = std::move(start);
    start_kept(kept);
}

ErrorOr<void> Supervisor::watch(int fd, std::function<void()> handler) {
    TRY(epoll_add(epoll_.get(), fd));
    watches_[fd] = std::move(handler);
    return {};
}

void Supervisor::unwatch(int fd) {
    if (watches_.erase(fd))
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

void Supervisor::start_kept(Kept& kept) {
    kept.last_start_ns = sys::monotonic_ns();
    auto child = kept.start();
    if (!child) {
        console_line("cannot start " + kept.name + ": " + child.error().message());
        arm_timer(restart_timer_.get(), kQuickDeathNs, 0);
        return;
    }
    int pidfd = child->pidfd();
    kept.child.emplace(std::move(*child));
    auto watched = pidfd >= 0 ? watch(pidfd, [this, &kept] { kept_exited(kept); })
                              : ErrorOr<void>(Error::internal("no pidfd"));
    if (!watched)
        console_line("cannot watch " + kept.name +
                     " (it will not be restarted): " + watched.error().message());
}

void Supervisor::kept_exited(Kept& kept) {
    if (!kept.child)
        return;
    auto exit_code = kept.child->try_wait();
    if (exit_code && !*exit_code)
        return;  // still running: a stale event of a reused descriptor number
    unwatch(kept.child->pidfd());
    kept.child.reset();
    ++kept.restarts;
    std::string how = exit_code ? "exited with " + std::to_string(**exit_code)
                                : "is gone (" + exit_code.error().message() + ")";
    console_line(kept.name + " " + how + "; restarting it");
    if (sys::monotonic_ns() - kept.last_start_ns < kQuickDeathNs)
        arm_timer(restart_timer_.get(), kQuickDeathNs, 0);
    else
        start_kept(kept);
}

void Supervisor::handle_signals() {
    signalfd_siginfo info[16];
    ssize_t n = ::read(signals_.get(), info, sizeof(info));
    if (n <= 0)
        return;
    for (size_t i = 0; i < static_cast<size_t>(n) / sizeof(info[0]); ++i) {
        if (auto action = power_action_for_signal(static_cast<int>(info[i].ssi_signo)))
            shut_down_for(*action);
    }
}

void Supervisor::open_power_buttons_after(int ready_fd) {
    (void)watch(ready_fd, [this, ready_fd] {
        unwatch(ready_fd);
        open_power_buttons();
    });
}

void Supervisor::open_power_buttons() {
    auto entries = fs::list_dir("/sys/class/input");
    if (!entries)
        return;
    for (const auto& entry : *entries) {
        if (!entry.starts_with("event") || power_buttons_.count(entry))
            continue;
        auto name = fs::read_file("/sys/class/input/" + entry + "/device/name");
        if (!name || !name->starts_with("Power Button"))
            continue;
        auto fd = sys::open("/dev/input/" + entry, O_RDONLY | O_NONBLOCK);
        if (!fd)
            continue;
        int button = fd->get();
        if (!watch(button, [this, button] { handle_power_button(button); }))
            continue;
        power_buttons_.emplace(entry, std::move(*fd));
    }
}

void Supervisor::handle_power_button(int fd) {
    input_event events[16];
    ssize_t n = ::read(fd, events, sizeof(events));
    if (n <= 0)
        return;
    for (size_t i = 0; i < static_cast<size_t>(n) / sizeof(events[0]); ++i) {
        if (events[i].type == EV_KEY && events[i].code == KEY_POWER && events[i].value == 1) {
            console_line("power button pressed");
            shut_down_for(PowerAction::poweroff);
        }
    }
}

void Supervisor::run_probes() {
    uint64_t expirations = 0;
    (void)!::read(probe_timer_.get(), &expirations, sizeof(expirations));
    for (auto it = probes_.begin(); it != probes_.end();) {
        if (it->check()) {
            (void)boot_timeline::record(it->event);
            console_line(it->event);
            it = probes_.erase(it);
        } else {
            ++it;
        }
    }
    if (probes_.empty() || sys::monotonic_ns() - probes_started_ns_ > kProbeGiveUpNs)
        arm_timer(probe_timer_.get(), 0, 0);
}

void Supervisor::shut_down_for(PowerAction action) {
    ShutdownPlan plan;
    plan.action = action;
    if (engine_stopper_)
        plan.stop_engine = [this] {
            engine_stopper_(shutdown_timeout_ ? shutdown_timeout_() : kDefaultShutdownSeconds);
        };
    shut_down(plan);
}

void Supervisor::run() {
    open_power_buttons();
    probes_started_ns_ = sys::monotonic_ns();
    if (!probes_.empty())
        arm_timer(probe_timer_.get(), kProbeIntervalNs, kProbeIntervalNs);
    for (;;) {
        epoll_event events[8];
        int n = ::epoll_wait(epoll_.get(), events, 8, -1);
        if (n < 0)
            continue;  // EINTR; nothing else can fail on a valid epoll fd
        for (int i = 0; i < n; ++i) {
            int fd = events[i].data.fd;
            if (fd == signals_.get()) {
                handle_signals();
            } else if (fd == probe_timer_.get()) {
                run_probes();
            } else if (fd == restart_timer_.get()) {
                uint64_t expirations = 0;
                (void)!::read(fd, &expirations, sizeof(expirations));
                for (auto& kept : kept_) {
                    if (!kept.child)
                        start_kept(kept);
                }
            } else if (auto found = watches_.find(fd); found != watches_.end()) {
                auto handler = found->second;  // it may unwatch itself
                handler();
            }
        }
    }
}

}  // namespace corral::init
