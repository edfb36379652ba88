// The container table: records on disk, create, lookups, rename, restore after a restart.
#include "engine/engine.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "base/fs.h"
#include "base/log.h"
#include "base/sys.h"
#include "engine/engine_impl.h"
#include "engine/list_filter.h"
#include "engine/merge.h"
#include "engine/names.h"
#include "engine/restart_policy.h"
#include "engine/seccomp.h"
#include "engine/signals.h"
#include "engine/state.h"
#include "engine/volume_copy.h"
#include "runtime/files.h"
#include "runtime/host_mode.h"
#include "runtime/spec_parts.h"

namespace corral::engine {

namespace {

// Limits on what one create request may allocate.
constexpr size_t max_labels = 1024;
constexpr size_t max_label_bytes = 256 << 10;
constexpr size_t max_env_entries = 4096;
constexpr size_t max_env_bytes = 1 << 20;
constexpr size_t max_mounts = 256;
constexpr size_t max_args_bytes = 1 << 20;

size_t total_size(const std::vector<std::string>& strings) {
    size_t total = 0;
    for (const auto& s : strings)
        total += s.size();
    return total;
}

ErrorOr<void> check_limits(const CreateRequest& request) {
    const auto& config = request.config;
    size_t label_bytes = 0;
    for (const auto& [key, value] : config.labels)
        label_bytes += key.size() + value.size();
    if (config.labels.size() > max_labels || label_bytes > max_label_bytes)
        return Error(ErrorKind::too_large, "too many or too large labels");
    if (config.env.size() > max_env_entries || total_size(config.env) > max_env_bytes)
        return Error(ErrorKind::too_large, "too many or too large environment variables");
    size_t args = 0;
    if (config.cmd)
        args += total_size(*config.cmd);
    if (config.entrypoint)
        args += total_size(*config.entrypoint);
    if (args > max_args_bytes)
        return Error(ErrorKind::too_large, "command line too large");
    if (request.host_config.mounts.size() > max_mounts ||
        request.host_config.volumes_from.size() > max_mounts)
        return Error(ErrorKind::too_large, "too many mounts");
    return {};
}

std::string container_mode_target(const std::string& mode) {
    constexpr std::string_view prefix = "container:";
    if (mode.compare(0, prefix.size(), prefix) == 0)
        return mode.substr(prefix.size());
    return {};
}

}  // namespace

ErrorOr<WaitCondition> parse_wait_condition(std::string_view text) {
    if (text.empty() || text == "not-running")
        return WaitCondition::not_running;
    if (text == "next-exit")
        return WaitCondition::next_exit;
    if (text == "removed")
        return WaitCondition::removed;
    return Error::invalid("invalid condition: \"" + std::string(text) + "\"");
}

ErrorOr<std::unique_ptr<Engine>> Engine::create(EngineOptions options, image::Store& store) {
    auto engine = std::make_unique<EngineImpl>(std::move(options), store);
    TRY(engine->initialize());
    return std::unique_ptr<Engine>(std::move(engine));
}

EngineImpl::EngineImpl(EngineOptions options, image::Store& store)
    : options_(std::move(options)), store_(store), events_(options_.max_event_subscribers) {
    runtime_.crun_path = options_.runtime_path;
    runtime_.crun_root = fs::join(options_.exec_root, "crun");
    runtime_.cgroup_parent = options_.cgroup_parent;
    runtime_.device_cgroup_rules = !options_.host_mode;
    runtime_.shim_program = options_.shim_path;
    runtime_.crun_fixed_addresses = options_.crun_fixed_addresses;
}

EngineImpl::~EngineImpl() {
    shutdown();
}

ErrorOr<void> EngineImpl::initialize() {
    TRY(fs::mkdir_p(fs::join(options_.data_root, "containers"), 0700));
    TRY(fs::mkdir_p(fs::join(options_.data_root, "volumes"), 0700));
    // What removals moved aside and a crash kept from deleting (a rootfs still mounted there
    // first: the removal does not enter mount points).
    if (auto entries = fs::list_dir(trash_dir()))
        for (const auto& entry : *entries)
            (void)runtime::unmount_rootfs(fs::join(trash_dir(), entry));
    (void)fs::remove_tree(trash_dir());
    TRY(fs::mkdir_p(fs::join(options_.exec_root, "containers"), 0700));
    TRY(fs::mkdir_p(runtime_.crun_root, 0700));
    // crun then runs from one read-only copy instead of re-executing a protected copy of
    // itself on every call (runtime::pin_runtime_binary). Without it, crun protects itself.
    if (auto pinned = runtime::pin_runtime_binary(runtime_.crun_path,
                                                  fs::join(options_.exec_root, "runtime"))) {
        runtime_.crun_path = *pinned;
    } else {
        log::debug("crun stays unpinned: " + pinned.error().message());
    }
    // Without it crun makes the mount points an image lacks in each container's upper dir.
    std::string init_layer = fs::join(options_.data_root, "init-layer");
    if (auto prepared = runtime::prepare_init_layer(init_layer))
        init_layer_ = init_layer;
    else
        log::debug("init layer: " + prepared.error().message());
    // Without it containers cannot start; the start reports the problem, so a failure here
    // does not keep the engine (and the containers it can still list) down.
    auto cgroups = runtime::prepare_cgroup_parent(runtime_.cgroup_mount, runtime_.cgroup_parent);
    if (cgroups.is_error())
        log::debug("cgroup parent: " + cgroups.error().message());
    int epoll = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll < 0)
        return Error::from_errno("epoll_create1", errno);
    epoll_.reset(epoll);
    supervisor_wake_ = TRY(make_eventfd());
    epoll_event wake{};
    wake.events = EPOLLIN;
    wake.data.u64 = 0;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, supervisor_wake_.get(), &wake) < 0)
        return Error::from_errno("epoll_ctl", errno);
    TRY(restore());
    sweep_exec_root();
    // Shims are forked by a factory exec'd now (runtime::prepare_shim_factory).
    if (auto factory = runtime::prepare_shim_factory(runtime_); factory.is_error())
        log::debug("shim factory: " + factory.error().message());
    supervisor_ = std::thread([this] { supervisor_loop(); });
    worker_.start();
    housekeeping_.start();
    enqueue_housekeeping([this] { network_namespaces_.fill(); });
    if (options_.restore_restart_policies) {
        std::lock_guard lock(mutex_);
        for (const auto& [id, record] : containers_) {
            const auto& container = record->container;
            if (container.state.status == Status::running)
                continue;
            if (should_restart_on_boot(container.host_config.restart_policy, container.state)) {
                std::string container_id = id;
                enqueue([this, container_id] {
                    auto started = start(container_id);
                    if (started.is_error())
                        log::debug("restart of " + container_id +
                                   " on boot: " + started.error().message());
                });
            } else if (container.host_config.auto_remove &&
                       container.state.status == Status::exited) {
                std::string container_id = id;
                enqueue([this, container_id] {
                    (void)remove(container_id, {.force = false, .remove_volumes = true});
                });
            }
        }
    }
    return {};
}

std::string EngineImpl::container_dir(const std::string& id) const {
    return fs::join(fs::join(options_.data_root, "containers"), id);
}

std::string EngineImpl::trash_dir() const {
    return fs::join(options_.data_root, "trash");
}

std::string EngineImpl::record_path(const std::string& id) const {
    return fs::join(container_dir(id), "container.json");
}

std::string EngineImpl::exec_root_dir(const std::string& id) const {
    return fs::join(fs::join(options_.exec_root, "containers"), id);
}

std::string EngineImpl::volume_dir(const std::string& name) const {
    return fs::join(fs::join(fs::join(options_.data_root, "volumes"), name), "_data");
}

ErrorOr<std::shared_ptr<ContainerRecord>> EngineImpl::find_locked(const std::string& ref) {
    std::string key = ref;
    if (!key.empty() && key.front() == '/')
        key.erase(0, 1);
    if (!key.empty()) {
        auto by_id = containers_.find(key);
        if (by_id != containers_.end())
            return by_id->second;
        auto by_name = names_.find(key);
        if (by_name != names_.end())
            return containers_.at(by_name->second);
        std::shared_ptr<ContainerRecord> found;
        for (auto it = containers_.lower_bound(key);
             it != containers_.end() && it->first.compare(0, key.size(), key) == 0; ++it) {
            if (found)
                return Error::invalid("Multiple IDs found with provided prefix: " + ref);
            found = it->second;
        }
        if (found)
            return found;
    }
    return Error::not_found("No such container: " + ref);
}

ErrorOr<std::shared_ptr<ContainerRecord>> EngineImpl::find(const std::string& ref) {
    std::lock_guard lock(mutex_);
    return find_locked(ref);
}

ErrorOr<void> EngineImpl::persist_locked(const ContainerRecord& record) {
    if (record.removed)
        return {};
    return fs::write_file_atomic(record_path(record.container.id),
                                 serialize_container(record.container), 0600);
}

// A container's runtime state does not outlive a power cut anyway (after a reboot every
// container has stopped and restore_one reconciles the record), so its transitions on the
// start/exit/remove path replace the record atomically (temp file, rename over the record
// that create fsynced) without waiting for the disk.
ErrorOr<void> EngineImpl::persist_state_locked(const ContainerRecord& record) {
    if (record.removed)
        return {};
    return runtime::write_file_replace(record_path(record.container.id),
                                       serialize_container(record.container), 0600);
}

void EngineImpl::emit_locked(const ContainerRecord& record, const std::string& action,
                             std::map<std::string, std::string> extra) {
    Event event;
    event.type = "container";
    event.action = action;
    event.id = record.container.id;
    event.attributes = record.container.config.labels;
    event.attributes["name"] = record.container.name;
    event.attributes["image"] = record.container.config.image;
    for (auto& [key, value] : extra)
        event.attributes[key] = std::move(value);
    events_.publish(std::move(event));
}

void EngineImpl::state_changed() {
    notifier_.notify_all();
}

// Exec-root dirs of containers that are gone (the engine died between a removal and the
// clean-up after its shim): the rootfs unmounted if their shim did not, then removed.
void EngineImpl::sweep_exec_root() {
    auto ids = fs::list_dir(fs::join(options_.exec_root, "containers"));
    if (ids.is_error())
        return;
    for (const auto& id : *ids) {
        {
            std::lock_guard lock(mutex_);
            if (!is_full_id(id) || containers_.count(id))
                continue;
        }
        auto shim = runtime::open_shim(exec_root_dir(id));
        if (!shim.is_error() && shim->has_value())
            continue;  // still cleaning up
        (void)fs::remove_tree(exec_root_dir(id));
    }
}

ErrorOr<void> EngineImpl::restore() {
    auto ids = TRY(fs::list_dir(fs::join(options_.data_root, "containers")));
    for (const auto& id : ids)
        restore_one(id);
    return {};
}

void EngineImpl::restore_one(const std::string& id) {
    if (!is_full_id(id))
        return;
    auto text = fs::read_file(record_path(id), max_state_file_size);
    if (text.is_error()) {
        log::debug("container " + id + ": " + text.error().message());
        return;
    }
    auto parsed = parse_container(*text);
    if (parsed.is_error() || parsed->id != id) {
        log::debug("container " + id + ": unreadable record, skipped");
        return;
    }
    auto record = std::make_shared<ContainerRecord>();
    record->container = std::move(parsed).release_value();
    auto& container = record->container;
    std::lock_guard lock(mutex_);
    if (names_.count(container.name)) {
        log::debug("container " + id + ": name " + container.name + " taken, skipped");
        return;
    }
    containers_[id] = record;
    names_[container.name] = id;
    if (container.state.status == Status::removing) {
        // It was being removed when we died: finish the job.
        std::string container_id = id;
        enqueue([this, container_id] { (void)remove(container_id, {.force = true}); });
        return;
    }
    // Is its shim still there? (Also for a record that does not say running: we may have
    // died between the start and writing the record.)
    auto shim = runtime::open_shim(exec_root_dir(id));
    if (!shim.is_error() && shim->has_value()) {
        // A shim that already wrote the exit status is only cleaning up (crun delete, unmount):
        // let it finish instead of adopting a container that is gone.
        auto exited = runtime::read_exit_status(exec_root_dir(id));
        if (!exited.is_error() && exited->has_value()) {
            (void)sleep_on((*shim)->pidfd.get(), {}, 5'000'000'000);
            shim = std::optional<runtime::ShimProcess>();
        }
    }
    if (!shim.is_error() && shim->has_value()) {
        auto& process = **shim;
        if (container.state.status != Status::running && container.state.status != Status::paused) {
            container.state.status = Status::running;
            if (container.state.started_at_ns == 0)
                container.state.started_at_ns = sys::realtime_ns();
            container.state.finished_at_ns = 0;
            (void)persist_locked(*record);
        }
        container.state.pid = process.state.container_pid;
        supervise_shim_locked(*record, std::move(process));
        log::debug("container " + id + ": re-adopted its shim");
        return;
    }
    // As dockerd: an auto-remove container that ended while no engine ran (or before its
    // removal was done) is removed; its client's wait went with the old engine.
    auto remove_if_auto_remove = [&] {
        if (!container.host_config.auto_remove || container.state.status != Status::exited)
            return;
        std::string container_id = id;
        enqueue([this, container_id] {
            (void)remove(container_id, {.force = false, .remove_volumes = true});
        });
    };
    // The exit status its shim left, read for a record that says it ran, and for a --rm
    // container's, which still says created while it runs (its start writes no record): one
    // with an exit status ran and ended while no engine was there.
    bool ran =
        container.state.status == Status::running || container.state.status == Status::paused;
    std::optional<runtime::ExitStatus> left;
    if (ran || (container.state.status == Status::created && container.host_config.auto_remove)) {
        auto exit = runtime::read_exit_status(exec_root_dir(id));
        if (!exit.is_error() && exit->has_value())
            left = **exit;
        ran = ran || left.has_value();
    }
    if (!ran) {
        // A record that says what it is stays as it is: rewriting it costs two fsyncs per
        // container on every engine start (the warm boot restores every service container).
        if (container.state.status == Status::restarting) {
            container.state.status = Status::exited;
            (void)persist_locked(*record);
        }
        remove_if_auto_remove();
        return;
    }
    // It was running and its shim ended while we were away: take the exit status it left.
    runtime::ExitStatus status;
    if (left) {
        status = *left;
    } else {
        status.exit_code = 255;
        status.finished_at_ns = sys::realtime_ns();
        status.error = "the container's supervisor ended without an exit status";
    }
    container.state.status = Status::exited;
    container.state.pid = 0;
    container.state.exit_code = status.exit_code;
    container.state.oom_killed = status.oom_killed;
    container.state.finished_at_ns = status.finished_at_ns;
    container.state.error = status.error;
    (void)persist_locked(*record);
    remove_if_auto_remove();
}

ErrorOr<CreateResult> EngineImpl::create_container(CreateRequest request) {
    TRY(check_limits(request));
    auto image = TRY(store_.resolve(request.config.image));
    ContainerConfig merged = TRY(merge_config(request.config, image.config));
    Command command = TRY(command_of(merged));
    auto& host = request.host_config;
    if (host.auto_remove && host.restart_policy.name != RestartPolicy::Name::no)
        return Error::invalid("conflicting options: cannot specify both --restart and --rm");
    if (host.restart_policy.maximum_retry_count < 0)
        return Error::invalid("invalid restart policy: maximum retry count cannot be negative");
    if (host.restart_policy.maximum_retry_count > 0 &&
        host.restart_policy.name != RestartPolicy::Name::on_failure)
        return Error::invalid(
            "invalid restart policy: maximum retry count can only be used "
            "with 'on-failure'");
    if (!merged.stop_signal.empty())
        TRY(parse_signal(merged.stop_signal));
    TRY(validate_mounts(host.mounts));
    TRY(parse_security_options(host.security_opt));
    for (auto& mount : host.mounts)
        mount.target = clean_path(mount.target);
    std::vector<VolumesFrom> volumes_from;
    for (const auto& text : host.volumes_from)
        volumes_from.push_back(TRY(parse_volumes_from(text)));

    Container container;
    container.id = generate_id();
    container.created_ns = sys::realtime_ns();
    container.image_id = image.id;
    container.path = command.path;
    container.args = command.args;
    container.config = std::move(merged);
    container.host_config = host;
    container.log_path = fs::join(container_dir(container.id), container.id + "-json.log");
    if (container.config.hostname.empty()) {
        if (host.network_mode == "host") {
            char name[256] = {};
            ::gethostname(name, sizeof(name) - 1);
            container.config.hostname = name;
        } else {
            container.config.hostname = container.id.substr(0, 12);
        }
    }

    std::string wanted_name;
    if (!request.name.empty())
        wanted_name = TRY(validate_name(request.name));

    // Limits the cgroup tree cannot enforce are dropped at start; say so now, in dockerd's
    // words, so that `docker run` shows the warnings.
    auto image_layers = TRY(store_.layer_dirs(image.id));
    std::vector<std::string> warnings;
    {
        std::string parent_dir = fs::join(runtime_.cgroup_mount, runtime_.cgroup_parent);
        auto swap_file = fs::exists(fs::join(parent_dir, "memory.swap.max"));
        bool swap_supported = swap_file && *swap_file;
        (void)runtime::make_resources(host.resources, runtime::available_controllers(runtime_),
                                      swap_supported, warnings);
    }
    {
        std::lock_guard lock(mutex_);
        if (shutting_down_)
            return Error(ErrorKind::unavailable, "the engine is shutting down");
        if (containers_.size() >= options_.max_containers)
            return Error(ErrorKind::too_large, "too many containers");
        if (!wanted_name.empty()) {
            auto taken = names_.find(wanted_name);
            if (taken != names_.end())
                return Error::conflict("Conflict. The container name \"/" + wanted_name +
                                       "\" is already in use by container \"" + taken->second +
                                       "\". You have to remove (or rename) that container to "
                                       "be able to reuse that name.");
            container.name = wanted_name;
        } else {
            container.name =
                generate_name([&](const std::string& name) { return names_.count(name) > 0; });
        }
        for (const auto& mode : {host.network_mode, host.pid_mode, host.ipc_mode, host.uts_mode}) {
            auto target = container_mode_target(mode);
            if (!target.empty())
                TRY(find_locked(target));
        }
        // Mounts as the container gets them: the request's, then volumes_from, then the
        // image's volumes that nothing else covers (anonymous volumes).
        for (const auto& mount : host.mounts) {
            MountPoint point;
            point.type = mount.type;
            point.destination = mount.target;
            point.read_only = mount.read_only;
            point.propagation = mount.propagation;
            point.options = mount.options;
            if (mount.type == MountSpec::Type::volume) {
                point.name = mount.source.empty() ? generate_id() : mount.source;
                point.source = volume_dir(point.name);
            } else {
                point.source = mount.source;
            }
            container.mounts.push_back(std::move(point));
        }
        auto covered = [&](const std::string& destination) {
            return std::any_of(container.mounts.begin(), container.mounts.end(),
                               [&](const MountPoint& m) { return m.destination == destination; });
        };
        for (const auto& from : volumes_from) {
            auto source = TRY(find_locked(from.container));
            for (auto point : source->container.mounts) {
                if (covered(point.destination))
                    continue;
                if (from.read_only)
                    point.read_only = *from.read_only;
                container.mounts.push_back(std::move(point));
            }
        }
        for (const auto& volume : image.config.volumes) {
            auto destination = clean_path(volume);
            if (covered(destination))
                continue;
            MountPoint point;
            point.type = MountSpec::Type::volume;
            point.name = generate_id();
            point.source = volume_dir(point.name);
            point.destination = destination;
            container.mounts.push_back(std::move(point));
        }
        for (const auto& point : container.mounts) {
            if (point.type != MountSpec::Type::volume)
                continue;
            TRY(fs::mkdir_p(point.source, 0755));
            // As docker: a volume still empty starts with what the image has there.
            TRY_CONTEXT(copy_image_path(image_layers, point.destination, point.source),
                        "copy the image's " + point.destination + " into volume " + point.name);
        }
        TRY(fs::mkdir_p(container_dir(container.id), 0700));
        auto record = std::make_shared<ContainerRecord>();
        record->container = container;
        // A --rm container does not outlive a reboot (restore removes it once exited), so its
        // record is replaced atomically without waiting for the disk, as runtime state is:
        // that survives the engine's own death.
        auto saved = container.host_config.auto_remove ? persist_state_locked(*record)
                                                       : persist_locked(*record);
        if (saved.is_error()) {
            (void)fs::remove_tree(container_dir(container.id));
            return saved.release_error();
        }
        containers_[container.id] = record;
        names_[container.name] = container.id;
        emit_locked(*record, "create");
    }
    state_changed();
    return CreateResult{container.id, warnings};
}

ErrorOr<Container> EngineImpl::inspect(const std::string& ref) {
    std::lock_guard lock(mutex_);
    auto record = TRY(find_locked(ref));
    Container copy = record->container;
    for (const auto& [id, exec] : execs_)
        if (exec->info.container_id == copy.id)
            copy.exec_ids.push_back(id);
    return copy;
}

ErrorOr<std::vector<Container>> EngineImpl::list(const ListOptions& options) {
    std::vector<std::string> ancestor_ids;
    for (const auto& ancestor : options.ancestors) {
        auto image = store_.resolve(ancestor);
        if (!image.is_error())
            ancestor_ids.push_back(image->id);
    }
    std::vector<Container> all;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [id, record] : containers_)
            all.push_back(record->container);
    }
    return select_containers(std::move(all), options, ancestor_ids);
}

ErrorOr<std::string> EngineImpl::resolve(const std::string& ref) {
    std::lock_guard lock(mutex_);
    auto record = TRY(find_locked(ref));
    return record->container.id;
}

ErrorOr<void> EngineImpl::rename(const std::string& ref, const std::string& new_name) {
    std::string name = TRY(validate_name(new_name));
    {
        std::lock_guard lock(mutex_);
        auto record = TRY(find_locked(ref));
        auto& container = record->container;
        if (container.name == name)
            return Error::invalid("Renaming a container with the same name as its current name");
        auto taken = names_.find(name);
        if (taken != names_.end())
            return Error::conflict("Conflict. The container name \"/" + name +
                                   "\" is already in use by container \"" + taken->second +
                                   "\". You have to remove (or rename) that container to be "
                                   "able to reuse that name.");
        std::string old_name = container.name;
        container.name = name;
        auto saved = persist_locked(*record);
        if (saved.is_error()) {
            container.name = old_name;
            return saved;
        }
        names_.erase(old_name);
        names_[name] = container.id;
        emit_locked(*record, "rename", {{"oldName", "/" + old_name}});
    }
    state_changed();
    return {};
}

std::optional<std::string> EngineImpl::image_in_use(const std::string& image_id) {
    auto user = image_user(image_id);
    if (!user)
        return std::nullopt;
    return user->container_id;
}

std::optional<image::ImageUser> EngineImpl::image_user(const std::string& image_id) {
    std::lock_guard lock(mutex_);
    std::optional<image::ImageUser> found;
    for (const auto& [id, record] : containers_) {
        if (record->container.image_id != image_id)
            continue;
        bool running = record->container.state.status == Status::running ||
                       record->container.state.status == Status::restarting ||
                       record->container.state.status == Status::paused;
        if (running)
            return image::ImageUser{id, true};
        if (!found)
            found = image::ImageUser{id, false};
    }
    return found;
}

ErrorOr<std::unique_ptr<EventSubscription>> EngineImpl::subscribe(int64_t since_ns,
                                                                  int64_t until_ns,
                                                                  EventFilters filters) {
    return events_.subscribe(since_ns, until_ns, std::move(filters));
}

void EngineImpl::publish(Event event) {
    events_.publish(std::move(event));
}

}  // namespace corral::engine
