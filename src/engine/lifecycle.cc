// Container lifecycle: start, stop, kill, restart, remove, wait, prune, stop_all, shutdown.
#include <signal.h>
#include <sys/epoll.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <thread>

#include "base/fs.h"
#include "base/log.h"
#include "base/sys.h"
#include "engine/engine_impl.h"
#include "engine/list_filter.h"
#include "engine/names.h"
#include "engine/restart_policy.h"
#include "engine/seccomp.h"
#include "engine/signals.h"
#include "runtime/capabilities.h"
#include "runtime/crun.h"

namespace corral::engine {

namespace {

constexpr std::string_view default_path =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
constexpr int64_t second_ns = 1'000'000'000;

bool is_running(Status status) {
    return status == Status::running || status == Status::paused;
}

std::string mode_target(const std::string& mode) {
    constexpr std::string_view prefix = "container:";
    if (mode.compare(0, prefix.size(), prefix) == 0)
        return mode.substr(prefix.size());
    return {};
}

// dockerd's exit code for a process that could not be started: 127 when the program is
// missing, 126 when it cannot be executed, 128 for any other failure.
int start_failure_exit_code(std::string_view message) {
    if (message.find("executable file not found") != std::string_view::npos ||
        message.find("no such file or directory") != std::string_view::npos)
        return 127;
    if (message.find("permission denied") != std::string_view::npos ||
        message.find("is a directory") != std::string_view::npos)
        return 126;
    return 128;
}

// crun's report of a program it could not execute, in dockerd's words: the docker CLI picks
// its exit code from them (127 for "no such file or directory" and "executable file not
// found", 126 for "permission denied"). Other failures keep crun's words.
Error start_error(Error error, const std::string& program) {
    const std::string& message = error.message();
    auto has = [&](std::string_view text) { return message.find(text) != std::string::npos; };
    if (program.empty() || !has(program))
        return error;
    std::string reason;
    if (has("not found") || has("No such file or directory"))
        reason = program.find('/') == std::string::npos
                     ? "executable file not found in $PATH"
                     : "stat " + program + ": no such file or directory";
    else if (has("Permission denied"))
        reason = "permission denied";
    else if (has("Is a directory"))
        reason = "is a directory";
    if (reason.empty())
        return error;
    return Error(error.kind(),
                 "failed to create task for container: unable to start container process: "
                 "exec: \"" +
                     program + "\": " + reason + ": unknown");
}

bool has_key(const std::vector<std::string>& env, std::string_view key) {
    return std::any_of(env.begin(), env.end(), [&](const std::string& entry) {
        return entry.size() > key.size() && entry.compare(0, key.size(), key) == 0 &&
               entry[key.size()] == '=';
    });
}

// Moves `dir` into `trash_root` as `name` (one rename: a crash leaves it whole or gone) and
// answers where it went; when it cannot be moved it is deleted in place (nullopt).
ErrorOr<std::optional<std::string>> move_to_trash(const std::string& dir,
                                                  const std::string& trash_root,
                                                  const std::string& name) {
    std::string target = fs::join(trash_root, name);
    if (fs::mkdir_p(trash_root, 0700).is_error() || sys::rename(dir, target).is_error()) {
        TRY(fs::remove_tree(dir));
        return std::optional<std::string>();
    }
    return std::optional<std::string>(target);
}

}  // namespace

ErrorOr<runtime::BundleRequest> EngineImpl::bundle_request(const Container& container) {
    runtime::BundleRequest request;
    request.id = container.id;
    request.config = container.config;
    request.host_config = container.host_config;
    request.host_config.volumes_from.clear();
    request.host_config.mounts.clear();
    for (const auto& point : container.mounts) {
        MountSpec mount;
        mount.type = point.type;
        mount.target = point.destination;
        mount.read_only = point.read_only;
        mount.propagation = point.propagation;
        mount.options = point.options;
        if (point.type == MountSpec::Type::volume) {
            mount.source = point.name;
            request.volume_dirs[point.name] = point.source;
            TRY(fs::mkdir_p(point.source, 0755));
        } else {
            mount.source = point.source;
        }
        request.host_config.mounts.push_back(std::move(mount));
    }
    // Docker creates a missing bind source of the legacy -v form at start.
    for (const auto& mount : container.host_config.mounts)
        if (mount.type == MountSpec::Type::bind && mount.create_source)
            TRY(fs::mkdir_p(mount.source, 0755));
    request.path = container.path;
    request.args = container.args;
    request.env = container.config.env;
    if (!has_key(request.env, "PATH"))
        request.env.insert(request.env.begin(), std::string(default_path));
    if (!has_key(request.env, "HOSTNAME"))
        request.env.push_back("HOSTNAME=" + container.config.hostname);
    if (container.config.tty && !has_key(request.env, "TERM"))
        request.env.push_back("TERM=xterm");
    request.working_dir = container.config.working_dir;
    auto security = TRY(parse_security_options(container.host_config.security_opt));
    request.no_new_privileges = security.no_new_privileges;
    auto capabilities = TRY(runtime::compute_capabilities(container.host_config.privileged,
                                                          container.host_config.cap_add,
                                                          container.host_config.cap_drop));
    request.seccomp_profile = TRY(seccomp_for(container.host_config, capabilities));
    if (!request.seccomp_profile.empty() && security.seccomp_profile.empty()) {
        // The default profile: compiled once here rather than by crun on every start.
        auto program = default_seccomp_program(request.seccomp_profile);
        if (program)
            request.seccomp_program = std::move(program).release_value();
        else
            log::debug("seccomp filter left to crun: " + program.error().message());
    }
    request.lower_dirs = TRY(store_.layer_dirs(container.image_id));
    if (!init_layer_.empty())
        request.lower_dirs.push_back(init_layer_);  // the top lower layer
    request.container_dir = container_dir(container.id);
    request.exec_root_dir = exec_root_dir(container.id);
    // "container:NAME" modes join the namespaces of that (running) container.
    const std::pair<const char*, const std::string*> modes[] = {
        {"network", &container.host_config.network_mode},
        {"pid", &container.host_config.pid_mode},
        {"ipc", &container.host_config.ipc_mode},
        {"uts", &container.host_config.uts_mode}};
    static const std::map<std::string, std::string> proc_names = {
        {"network", "net"}, {"pid", "pid"}, {"ipc", "ipc"}, {"uts", "uts"}};
    std::lock_guard lock(mutex_);
    for (const auto& [type, mode] : modes) {
        auto target = mode_target(*mode);
        if (target.empty())
            continue;
        auto other = TRY(find_locked(target));
        if (other->container.state.status != Status::running || other->container.state.pid <= 0)
            return Error::conflict(std::string("cannot join ") + type +
                                   " namespace of a non running container: " + other->container.id);
        request.namespace_paths[type] =
            "/proc/" + std::to_string(other->container.state.pid) + "/ns/" + proc_names.at(type);
    }
    return request;
}

void EngineImpl::cleanup_runtime(const std::string& id) {
    (void)runtime::delete_container(runtime_, id);
    (void)runtime::unmount_rootfs(container_dir(id));
}

ErrorOr<void> EngineImpl::start(const std::string& ref) {
    auto record = TRY(find(ref));
    ErrorOr<void> started;
    {
        std::lock_guard operation(record->operation);
        {
            // A start by the user begins a new restart history (docker resets the count).
            std::lock_guard lock(mutex_);
            if (!is_running(record->container.state.status)) {
                record->container.state.restart_count = 0;
                record->restart_delay_ns = 0;
            }
        }
        started = start_operation(record);
    }
    // As dockerd: a --rm container whose start failed is removed before the error is
    // returned (`docker run --rm` waits for the removal).
    if (started.is_error() && started.error().kind() != ErrorKind::not_modified) {
        bool auto_remove = false;
        std::string id;
        {
            std::lock_guard lock(mutex_);
            auto_remove = record->container.host_config.auto_remove && !record->removed;
            id = record->container.id;
        }
        if (auto_remove)
            (void)remove(id, {.force = true, .remove_volumes = true});
    }
    return started;
}

ErrorOr<void> EngineImpl::start_operation(const std::shared_ptr<ContainerRecord>& record) {
    Container container;
    {
        std::lock_guard lock(mutex_);
        if (record->removed)
            return Error::not_found("No such container: " + record->container.id);
        if (shutting_down_)
            return Error(ErrorKind::unavailable, "the engine is shutting down");
        auto status = record->container.state.status;
        if (is_running(status))
            return Error(ErrorKind::not_modified, "container already started");
        if (status == Status::removing)
            return Error::conflict("container is marked for removal and cannot be started");
        container = record->container;
    }
    const std::string& id = container.id;
    auto fail = [&](Error failure) -> Error {
        Error error = start_error(std::move(failure), container.path);
        cleanup_runtime(id);
        std::lock_guard lock(mutex_);
        auto& state = record->container.state;
        // A container that never ran stays "created", as with docker.
        if (state.status != Status::created)
            state.status = Status::exited;
        state.pid = 0;
        state.exit_code = start_failure_exit_code(error.message());
        state.error = error.message();
        state.finished_at_ns = sys::realtime_ns();
        (void)persist_locked(*record);
        for (auto& pending : record->pending_attaches) {
            pending->connected = true;
            pending->client.emplace(Error(error.kind(), error.message()));
        }
        record->pending_attaches.clear();
        state_changed();
        return error;
    };

    auto request = bundle_request(container);
    if (request.is_error())
        return fail(request.release_error());
    // A network of its own: a namespace made ahead, held until crun has joined it.
    UniqueFd network_namespace;
    const std::string& network_mode = container.host_config.network_mode;
    if (network_mode != "host" && !network_mode.starts_with("container:")) {
        network_namespace = network_namespaces_.take();
        if (network_namespace)
            request->namespace_paths["network"] = runtime::descriptor_path(network_namespace.get());
        if (!network_namespaces_.disabled())
            enqueue_housekeeping([this] { network_namespaces_.fill(); });
    }
    // Leftovers of an earlier run (exit status, sockets) must not be mistaken for this one;
    // its shim is gone first (it cleans up after reporting the exit), and what it left of the
    // runtime (crun's state, the rootfs mount) is cleaned up before the exec-root dir goes.
    wait_shim_gone(record, 10 * second_ns);
    cleanup_runtime(id);
    (void)fs::remove_tree(exec_root_dir(id));
    if (auto made = fs::mkdir_p(exec_root_dir(id), 0700); made.is_error())
        return fail(made.release_error());
    runtime::ShimOptions shim_options;
    shim_options.id = id;
    shim_options.container_dir = container_dir(id);
    shim_options.exec_root_dir = exec_root_dir(id);
    shim_options.tty = container.config.tty;
    // The client's terminal size from create: crun gives it to the pty before the process
    // runs, so a quick `stty size` does not read the 0 0 of a pty nobody sized yet.
    const auto& console_size = container.host_config.console_size;
    if (container.config.tty && console_size.height && console_size.width) {
        shim_options.rows = console_size.height;
        shim_options.columns = console_size.width;
    }
    shim_options.open_stdin = container.config.open_stdin;
    shim_options.stdin_once = container.config.stdin_once;
    shim_options.log_config = container.host_config.log_config;
    shim_options.log_path = container.log_path;
    // The shim sets itself up (the factory's fork, its log, its attach socket) while the
    // bundle is made here; it runs nothing before the start below.
    auto spawning = runtime::begin_spawn_shim(runtime_, shim_options);
    if (spawning.is_error())
        return fail(spawning.release_error());
    auto bundle = runtime::prepare_bundle(*request, runtime_);
    auto shim = runtime::finish_spawn_shim(*spawning);
    // The shim factory serves every start; one that died is replaced off this start's path
    // (the thread holds nothing of the engine).
    if (!runtime::has_shim_factory())
        std::thread([runtime = runtime_] {
            (void)runtime::prepare_shim_factory(runtime);
        }).detach();
    if (bundle.is_error()) {
        if (!shim.is_error()) {
            // Started nothing yet: it goes, and nothing of it stays behind.
            (void)sys::pidfd_send_signal(shim->pidfd.get(), SIGKILL);
            (void)sleep_on(shim->pidfd.get(), {}, 10 * second_ns);
        }
        return fail(bundle.release_error());
    }
    if (shim.is_error())
        return fail(shim.release_error());  // the bundle's rootfs is unmounted (not released)
    if (bundle->rootfs)
        bundle->rootfs->release();  // the shim unmounts it when the container ends

    // Clients that attached before the start get every byte of output.
    {
        std::lock_guard lock(mutex_);
        for (auto& pending : record->pending_attaches) {
            pending->client.emplace(
                runtime::ShimClient::connect(exec_root_dir(id), pending->streams));
            pending->connected = true;
        }
        record->pending_attaches.clear();
    }
    state_changed();

    // Taken before the start: a short-lived process may have finished by the time it returns.
    int64_t started_at = sys::realtime_ns();
    auto started = runtime::start_container(exec_root_dir(id));
    if (started.is_error()) {
        (void)runtime::kill_container(runtime_, id, exec_root_dir(id), SIGKILL);
        // The shim ends once its container is gone; wait for it so nothing is left behind.
        (void)sleep_on(shim->pidfd.get(), {}, 10 * second_ns);
        return fail(started.release_error());
    }

    {
        std::lock_guard lock(mutex_);
        auto& state = record->container.state;
        state.status = Status::running;
        state.pid = started->container_pid;
        state.started_at_ns = started_at;
        state.finished_at_ns = 0;
        state.exit_code = 0;
        state.oom_killed = false;
        state.error.clear();
        state.stopped_by_user = false;
        record->restart_due_ns = 0;
        // A --rm container's record is not rewritten on its way (create, start, exit,
        // removal): an engine that dies meanwhile finds it created with a live shim (adopted)
        // or with the exit status its shim left (removed), restore_one.
        if (!record->container.host_config.auto_remove)
            (void)persist_state_locked(*record);
        emit_locked(*record, "start");
        supervise_shim_locked(*record, std::move(*shim));
    }
    state_changed();
    return {};
}

ErrorOr<bool> EngineImpl::wait_not_running(const std::shared_ptr<ContainerRecord>& record,
                                           int64_t timeout_ns) {
    auto registration = TRY(notifier_.register_waiter());
    int64_t deadline = timeout_ns < 0 ? -1 : sys::monotonic_ns() + timeout_ns;
    for (;;) {
        {
            std::lock_guard lock(mutex_);
            if (!is_running(record->container.state.status) || record->removed)
                return true;
            if (shutting_down_)
                return Error(ErrorKind::unavailable, "the engine is shutting down");
        }
        int64_t left = -1;
        if (deadline >= 0) {
            left = deadline - sys::monotonic_ns();
            if (left <= 0)
                return false;
        }
        TRY(sleep_on(registration->fd(), {}, left));
    }
}

ErrorOr<void> EngineImpl::stop(const std::string& ref, std::optional<int> timeout_seconds,
                               std::string signal) {
    auto record = TRY(find(ref));
    std::lock_guard operation(record->operation);
    return stop_operation(record, timeout_seconds, signal);
}

ErrorOr<void> EngineImpl::stop_operation(const std::shared_ptr<ContainerRecord>& record,
                                         std::optional<int> timeout_seconds,
                                         const std::string& signal_text) {
    std::string id;
    int signal = SIGTERM;
    int timeout = options_.default_stop_timeout;
    {
        std::lock_guard lock(mutex_);
        auto& container = record->container;
        id = container.id;
        if (container.state.status == Status::restarting) {
            // Waiting for a restart: cancel it, that is the whole stop.
            container.state.status = Status::exited;
            container.state.stopped_by_user = true;
            record->restart_due_ns = 0;
            (void)persist_locked(*record);
            emit_locked(*record, "stop");
            state_changed();
            return {};
        }
        if (!is_running(container.state.status))
            return Error(ErrorKind::not_modified, "container already stopped");
        std::string name = !signal_text.empty() ? signal_text : container.config.stop_signal;
        if (!name.empty())
            signal = TRY(parse_signal(name));
        if (timeout_seconds)
            timeout = *timeout_seconds;
        else if (container.config.stop_timeout)
            timeout = *container.config.stop_timeout;
        container.state.stopped_by_user = true;
        (void)persist_locked(*record);
        emit_locked(*record, "kill", {{"signal", std::to_string(signal)}});
    }
    // A failed send means the process is already gone: the supervisor sees the exit soon.
    (void)runtime::kill_container(runtime_, id, exec_root_dir(id), signal);
    thaw_if_paused(record);
    bool stopped = TRY(wait_not_running(record, timeout < 0 ? -1 : timeout * second_ns));
    if (!stopped) {
        {
            std::lock_guard lock(mutex_);
            emit_locked(*record, "kill", {{"signal", std::to_string(SIGKILL)}});
        }
        (void)runtime::kill_container(runtime_, id, exec_root_dir(id), SIGKILL);
        if (!TRY(wait_not_running(record, 30 * second_ns)))
            return Error::internal("container " + id + " did not exit after SIGKILL");
    }
    {
        std::lock_guard lock(mutex_);
        emit_locked(*record, "stop");
    }
    return {};
}

ErrorOr<void> EngineImpl::kill(const std::string& ref, std::string signal_text) {
    auto record = TRY(find(ref));
    int signal = SIGKILL;
    if (!signal_text.empty())
        signal = TRY(parse_signal(signal_text));
    std::string id;
    {
        std::lock_guard lock(mutex_);
        auto& container = record->container;
        id = container.id;
        if (container.state.status == Status::restarting && signal == SIGKILL) {
            container.state.status = Status::exited;
            container.state.stopped_by_user = true;
            record->restart_due_ns = 0;
            (void)persist_locked(*record);
            state_changed();
            return {};
        }
        if (!is_running(container.state.status))
            return Error::conflict("Container " + id + " is not running");
        // As docker: a killed container counts as stopped by the user (no restart policy).
        container.state.stopped_by_user = true;
        (void)persist_locked(*record);
        emit_locked(*record, "kill", {{"signal", std::to_string(signal)}});
    }
    TRY(runtime::kill_container(runtime_, id, exec_root_dir(id), signal));
    // As dockerd: a SIGKILL ends a paused container (thawed so its exit is seen); other
    // signals wait for `unpause`.
    if (signal == SIGKILL)
        thaw_if_paused(record);
    if (signal == SIGKILL)
        (void)wait_not_running(record, 10 * second_ns);
    return {};
}

ErrorOr<void> EngineImpl::pause(const std::string& ref) {
    auto record = TRY(find(ref));
    std::lock_guard operation(record->operation);
    std::string id;
    {
        std::lock_guard lock(mutex_);
        id = record->container.id;
        auto status = record->container.state.status;
        if (status == Status::paused)
            return Error::conflict("Container " + id + " is already paused");
        if (status != Status::running)
            return Error::conflict("Container " + id + " is not running");
    }
    TRY_CONTEXT(runtime::run_crun(runtime_, {"pause", id}), "pause " + id);
    {
        std::lock_guard lock(mutex_);
        // It may have ended between the check and the freeze: the exit wins.
        if (record->container.state.status == Status::running) {
            record->container.state.status = Status::paused;
            (void)persist_locked(*record);
            emit_locked(*record, "pause");
        }
    }
    state_changed();
    return {};
}

ErrorOr<void> EngineImpl::unpause(const std::string& ref) {
    auto record = TRY(find(ref));
    std::lock_guard operation(record->operation);
    std::string id;
    {
        std::lock_guard lock(mutex_);
        id = record->container.id;
        if (record->container.state.status != Status::paused)
            return Error::conflict("Container " + id + " is not paused");
    }
    TRY_CONTEXT(runtime::run_crun(runtime_, {"resume", id}), "unpause " + id);
    {
        std::lock_guard lock(mutex_);
        if (record->container.state.status == Status::paused) {
            record->container.state.status = Status::running;
            (void)persist_locked(*record);
            emit_locked(*record, "unpause");
        }
    }
    state_changed();
    return {};
}

void EngineImpl::thaw_if_paused(const std::shared_ptr<ContainerRecord>& record) {
    std::string id;
    {
        std::lock_guard lock(mutex_);
        if (record->container.state.status != Status::paused)
            return;
        id = record->container.id;
    }
    // A signal sent to a frozen container is delivered once it thaws (SIGKILL even before).
    if (runtime::run_crun(runtime_, {"resume", id}).is_error())
        return;
    std::lock_guard lock(mutex_);
    if (record->container.state.status == Status::paused) {
        record->container.state.status = Status::running;
        (void)persist_locked(*record);
        emit_locked(*record, "unpause");
    }
    state_changed();
}

ErrorOr<void> EngineImpl::restart(const std::string& ref, std::optional<int> timeout_seconds) {
    auto record = TRY(find(ref));
    std::lock_guard operation(record->operation);
    auto stopped = stop_operation(record, timeout_seconds, {});
    if (stopped.is_error() && stopped.error().kind() != ErrorKind::not_modified)
        return stopped;
    TRY(start_operation(record));
    {
        std::lock_guard lock(mutex_);
        emit_locked(*record, "restart");
    }
    return {};
}

ErrorOr<void> EngineImpl::remove(const std::string& ref, RemoveOptions options) {
    auto record = TRY(find(ref));
    std::lock_guard operation(record->operation);
    return remove_operation(record, options);
}

ErrorOr<void> EngineImpl::remove_operation(const std::shared_ptr<ContainerRecord>& record,
                                           RemoveOptions options) {
    std::string id;
    bool running = false;
    {
        std::lock_guard lock(mutex_);
        if (record->removed)
            return Error::not_found("No such container: " + record->container.id);
        id = record->container.id;
        auto status = record->container.state.status;
        running = is_running(status);
        if ((running || status == Status::restarting) && !options.force)
            return Error::conflict(
                "You cannot remove a " +
                std::string(status == Status::restarting ? "restarting" : "running") +
                " container " + id +
                ". Stop the container before attempting removal or force "
                "remove");
        // An auto-remove container that ran and ended needs no "removing" record: an engine
        // that dies before the rename below removes it on restore anyway (restore_one).
        bool ended_auto_remove =
            status == Status::exited && record->container.host_config.auto_remove;
        record->container.state.status =
            running ? record->container.state.status : Status::removing;
        record->container.state.stopped_by_user = true;
        record->restart_due_ns = 0;
        if (!ended_auto_remove)
            (void)persist_state_locked(*record);
    }
    if (running) {
        {
            std::lock_guard lock(mutex_);
            emit_locked(*record, "kill", {{"signal", std::to_string(SIGKILL)}});
        }
        (void)runtime::kill_container(runtime_, id, exec_root_dir(id), SIGKILL);
        thaw_if_paused(record);
        if (!TRY(wait_not_running(record, 30 * second_ns)))
            return Error::internal("container " + id + " did not exit after SIGKILL");
        std::lock_guard lock(mutex_);
        record->container.state.status = Status::removing;
        (void)persist_state_locked(*record);
    }
    // The container's record and files leave in one rename: the removal's commit point (a
    // crash leaves them whole or gone, and initialize() empties the trash). The shim may still
    // be cleaning up (its rootfs mount moves along with the rename): the runtime's part waits
    // for it (below), after the removal was answered and its waiters (`run --rm`,
    // `wait?condition=removed`) were told.
    std::string suffix = id + "-" + std::to_string(sys::monotonic_ns());
    auto container_trash = TRY(move_to_trash(container_dir(id), trash_dir(), suffix));
    std::vector<std::string> volumes;
    {
        std::lock_guard lock(mutex_);
        record->removed = true;
        containers_.erase(id);
        names_.erase(record->container.name);
        for (auto it = execs_.begin(); it != execs_.end();) {
            if (it->second->info.container_id == id && !it->second->info.running)
                it = execs_.erase(it);
            else
                ++it;
        }
        for (const auto& point : record->container.mounts) {
            // Anonymous volumes (named by a generated id) go with their container when asked.
            if (!options.remove_volumes || point.type != MountSpec::Type::volume ||
                !is_full_id(point.name))
                continue;
            bool shared = std::any_of(containers_.begin(), containers_.end(), [&](auto& entry) {
                const auto& mounts = entry.second->container.mounts;
                return std::any_of(mounts.begin(), mounts.end(),
                                   [&](const MountPoint& m) { return m.name == point.name; });
            });
            if (!shared)
                volumes.push_back(point.name);
        }
        emit_locked(*record, "destroy");
    }
    for (const auto& name : volumes)
        (void)fs::remove_tree(fs::dirname(volume_dir(name)));
    state_changed();
    // Once the shim is gone: what it did not clean up (crun's state; the rootfs, which the
    // rename may have taken from under its path), then the exec-root dir (runtime leftovers
    // only: one that cannot go is no failure) and the files.
    std::lock_guard lock(mutex_);
    when_shim_gone_locked(*record, [this, id, container_trash] {
        (void)runtime::delete_container(runtime_, id);
        (void)fs::remove_tree(exec_root_dir(id));  // initialize() sweeps what a crash left
        if (container_trash) {
            (void)runtime::unmount_rootfs(*container_trash);
            (void)fs::remove_tree(*container_trash);
        }
    });
    return {};
}

class PendingWaitImpl final : public PendingWait {
  public:
    PendingWaitImpl(EngineImpl& engine, std::shared_ptr<ContainerRecord> record,
                    WaitCondition condition, uint64_t generation,
                    std::unique_ptr<Notifier::Registration> registration)
        : engine_(engine),
          record_(std::move(record)),
          condition_(condition),
          generation_(generation),
          registration_(std::move(registration)) {}

    ErrorOr<WaitResult> wait(const Cancellation& cancel) override {
        for (;;) {
            {
                std::lock_guard lock(engine_.mutex_);
                const auto& state = record_->container.state;
                bool done = false;
                switch (condition_) {
                    case WaitCondition::not_running:
                        done = record_->removed ||
                               (!is_running(state.status) && state.status != Status::restarting);
                        break;
                    case WaitCondition::next_exit:
                        done = record_->exit_generation != generation_ || record_->removed;
                        break;
                    case WaitCondition::removed:
                        done = record_->removed;
                        break;
                }
                if (done)
                    return WaitResult{state.exit_code, state.error};
                if (engine_.shutting_down_)
                    return Error(ErrorKind::unavailable, "the engine is shutting down");
            }
            auto reason = TRY(sleep_on(registration_->fd(), cancel, -1));
            if (reason == WakeReason::cancelled)
                return cancelled_error();
        }
    }

  private:
    EngineImpl& engine_;
    std::shared_ptr<ContainerRecord> record_;
    WaitCondition condition_;
    uint64_t generation_;
    std::unique_ptr<Notifier::Registration> registration_;
};

ErrorOr<std::unique_ptr<PendingWait>> EngineImpl::begin_wait(const std::string& ref,
                                                             WaitCondition condition) {
    // Registered before the state is read, so no change between the two goes unnoticed.
    auto registration = TRY(notifier_.register_waiter());
    std::lock_guard lock(mutex_);
    auto record = TRY(find_locked(ref));
    uint64_t generation = record->exit_generation;
    return std::unique_ptr<PendingWait>(new PendingWaitImpl(*this, std::move(record), condition,
                                                            generation, std::move(registration)));
}

ErrorOr<WaitResult> EngineImpl::wait(const std::string& ref, WaitCondition condition,
                                     const Cancellation& cancel) {
    auto pending = TRY(begin_wait(ref, condition));
    return pending->wait(cancel);
}

ErrorOr<std::vector<std::string>> EngineImpl::prune(const std::vector<std::string>& labels) {
    std::vector<std::string> candidates;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [id, record] : containers_) {
            auto status = record->container.state.status;
            if ((status == Status::created || status == Status::exited || status == Status::dead) &&
                labels_match(record->container.config.labels, labels))
                candidates.push_back(id);
        }
    }
    std::vector<std::string> removed;
    for (const auto& id : candidates) {
        // One that was started meanwhile is refused by remove(): it stays.
        if (!remove(id, {.force = false, .remove_volumes = false}).is_error())
            removed.push_back(id);
    }
    return removed;
}

void EngineImpl::stop_all(int timeout_seconds) {
    std::vector<std::string> running;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [id, record] : containers_)
            if (is_running(record->container.state.status) ||
                record->container.state.status == Status::restarting)
                running.push_back(id);
    }
    std::vector<std::thread> stoppers;
    for (const auto& id : running)
        stoppers.emplace_back([this, id, timeout_seconds] {
            auto stopped = stop(id, timeout_seconds, {});
            if (stopped.is_error() && stopped.error().kind() != ErrorKind::not_modified)
                log::debug("stop " + id + ": " + stopped.error().message());
        });
    for (auto& stopper : stoppers)
        stopper.join();
}

void EngineImpl::shutdown() {
    {
        std::lock_guard lock(mutex_);
        if (shutting_down_)
            return;
        shutting_down_ = true;
    }
    runtime::drop_shim_factory();
    events_.close();
    state_changed();
    wake_supervisor();
    worker_.stop();
    housekeeping_.stop();
    if (supervisor_.joinable())
        supervisor_.join();
    // Attach clients still waiting for a start are told to give up.
    std::lock_guard lock(mutex_);
    for (auto& [id, record] : containers_) {
        for (auto& pending : record->pending_attaches) {
            pending->connected = true;
            pending->client.emplace(Error(ErrorKind::unavailable, "the engine is shutting down"));
        }
        record->pending_attaches.clear();
    }
    state_changed();
}

}  // namespace corral::engine
