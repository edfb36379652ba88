#include "api/daemon.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include "api/api.h"
#include "api/http_server.h"
#include "base/cpu.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/sys.h"
#include "runtime/host_mode.h"

namespace corral::api {

namespace {

// Refuses to start over a live daemon: a socket that accepts connections is in use.
ErrorOr<void> check_socket_free(const std::string& path) {
    auto existing = TRY(sys::stat_if_exists(path));
    if (!existing)
        return {};
    if (sys::unix_connect(path))
        return Error::conflict("another daemon is serving " + path);
    return {};
}

// The program a process runs, without the " (deleted)" of a replaced binary; empty when it
// cannot be read.
std::string program_of(const std::string& pid) {
    auto target = sys::readlink("/proc/" + pid + "/exe");
    if (!target)
        return {};
    std::string path = *target;
    constexpr std::string_view deleted = " (deleted)";
    if (path.ends_with(deleted))
        path.resize(path.size() - deleted.size());
    return fs::basename(path);
}

// Whether the pid of a pidfile is a daemon that still runs: alive (as dockerd checks), not a
// zombie whose parent has not reaped it yet, and, when both can be read, running the same
// program as we do (after a reboot or a kill -9 the pid may belong to anything).
bool daemon_alive(int pid) {
    if (pid <= 0 || pid == ::getpid())
        return false;
    if (::kill(pid, 0) < 0 && errno != EPERM)
        return false;
    std::string text = std::to_string(pid);
    auto stat = fs::read_file("/proc/" + text + "/stat", 4096);
    if (stat) {
        size_t end = stat->rfind(')');
        if (end != std::string::npos && end + 2 < stat->size() && (*stat)[end + 2] == 'Z')
            return false;
    }
    std::string theirs = program_of(text);
    std::string ours = program_of("self");
    return theirs.empty() || ours.empty() || theirs == ours;
}

// A pidfile naming a running daemon means another one serves this data; a stale one (left by
// a kill -9) is replaced.
ErrorOr<void> write_pidfile(const std::string& path) {
    if (path.empty())
        return {};
    auto content = fs::read_file(path, 64);
    if (content) {
        int pid = std::atoi(content->c_str());
        if (daemon_alive(pid))
            return Error::conflict(
                "pid file found, ensure system-dockerd is not running or "
                "delete " +
                path + " (pid " + std::to_string(pid) + ")");
    }
    TRY(fs::mkdir_p(fs::dirname(path)));
    return fs::write_file_atomic(path, std::to_string(::getpid()) + "\n");
}

class Cleanup {
  public:
    explicit Cleanup(std::vector<std::string> paths) : paths_(std::move(paths)) {}
    ~Cleanup() {
        for (const auto& path : paths_) {
            if (!path.empty())
                (void)sys::unlink(path);
        }
    }

  private:
    std::vector<std::string> paths_;
};

}  // namespace

ErrorOr<std::string> parse_host_address(std::string_view address) {
    constexpr std::string_view scheme = "unix://";
    if (address.substr(0, scheme.size()) == scheme)
        address.remove_prefix(scheme.size());
    else if (address.find("://") != std::string_view::npos)
        return Error::invalid("unsupported host address " + std::string(address) +
                              ": only unix:// sockets are served");
    if (address.empty() || address.front() != '/')
        return Error::invalid("invalid host address: the socket path must be absolute");
    return std::string(address);
}

namespace {

// crun at fixed addresses under an emulator that translates code (QEMU's TCG), where each
// exec of a randomized crun is translated anew; CORRAL_CRUN_FIXED_ADDRESSES=1 or 0 in the
// environment (for PID 1: on the kernel command line) decides instead.
bool crun_fixed_addresses() {
    std::string hypervisor = cpu::hypervisor_signature();
    bool fixed = cpu::translates_code(hypervisor);
    std::string why = "the processor is " + hypervisor + ", an emulator that translates code";
    if (const char* forced = std::getenv("CORRAL_CRUN_FIXED_ADDRESSES")) {
        std::string_view value = forced;
        if (value == "0" || value == "1") {
            fixed = value == "1";
            why = "CORRAL_CRUN_FIXED_ADDRESSES=" + std::string(value);
        } else {
            log::warn("CORRAL_CRUN_FIXED_ADDRESSES=" + std::string(value) +
                      ": expected 0 or 1, ignored");
        }
    }
    if (fixed)
        log::info("crun runs without address space randomization (" + why +
                  "); containers keep theirs");
    return fixed;
}

}  // namespace

ErrorOr<void> run_daemon(DaemonOptions options) {
    // Before any thread exists: signal mask (inherited by every thread) and the namespace.
    UniqueFd signals;
    if (options.handle_signals) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        if (::pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0)
            return Error::internal("cannot block SIGTERM/SIGINT");
        signals.reset(::signalfd(-1, &set, SFD_CLOEXEC));
        if (!signals)
            return Error::from_errno("signalfd", errno);
    }
    ::signal(SIGPIPE, SIG_IGN);
    // Every client connection and every container holds fds: use all the hard limit allows
    // (raising the soft limit needs no privilege).
    rlimit files{};
    if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        (void)::setrlimit(RLIMIT_NOFILE, &files);
    }
    if (options.host_mode)
        TRY_CONTEXT(runtime::enter_private_mount_namespace(), "host mode");

    TRY(fs::mkdir_p(options.data_root, 0711));
    TRY(fs::mkdir_p(options.exec_root, 0700));
    TRY(fs::mkdir_p(fs::dirname(options.socket_path)));
    TRY(check_socket_free(options.socket_path));
    TRY(write_pidfile(options.pidfile));
    Cleanup remove_pidfile({options.pidfile});

    auto store =
        TRY_CONTEXT(image::Store::open(fs::join(options.data_root, "image"), options.store),
                    "open the image store");
    engine::EngineOptions engine_options = options.engine;
    engine_options.data_root = options.data_root;
    engine_options.exec_root = options.exec_root;
    engine_options.host_mode = options.host_mode;
    engine_options.crun_fixed_addresses = crun_fixed_addresses();
    auto engine = TRY_CONTEXT(engine::Engine::create(engine_options, *store), "start the engine");

    DaemonInfo info;
    info.data_root = options.data_root;
    info.exec_root = options.exec_root;
    info.started_ns = sys::realtime_ns();
    ApiContext context{*engine, *store, info};
    Router router = build_router(context);
    auto server = std::make_unique<HttpServer>(router, api_server_options(info));
    auto listener = TRY(sys::unix_listen(options.socket_path, options.socket_mode));
    Cleanup remove_socket({options.socket_path});
    log::info("API listening on " + options.socket_path);

    std::thread ready_thread;
    if (options.on_ready)
        ready_thread = std::thread([&] { options.on_ready(*engine, *store); });

    int stop_fd = signals ? signals.get() : options.stop_fd;
    auto served = server->serve(listener.get(), stop_fd);
    log::info("shutting down: containers keep running");
    listener.reset();
    // Wake the calls blocked in the engine (wait, logs -f, events, attach), then let their
    // connection threads end before the engine goes away.
    engine->shutdown();
    server.reset();
    if (ready_thread.joinable())
        ready_thread.join();
    engine.reset();
    store.reset();
    return served;
}

}  // namespace corral::api
