// Supervision: the thread that watches shim and exec pidfds (epoll, no polling) and runs
// restart timers, the worker that performs delayed actions (restarts, auto-removal) and the
// housekeeping queue.
#include <sys/epoll.h>

#include <algorithm>
#include <cstring>

#include "base/log.h"
#include "base/sys.h"
#include "engine/engine_impl.h"
#include "engine/restart_policy.h"

namespace corral::engine {

namespace {

constexpr int64_t second_ns = 1'000'000'000;

}  // namespace

void EngineImpl::wake_supervisor() {
    if (supervisor_wake_)
        signal_eventfd(supervisor_wake_.get());
}

void EngineImpl::watch_pidfd_locked(uint64_t& key, int pidfd,
                                    std::function<void(uint64_t)> on_exit) {
    std::lock_guard lock(watch_mutex_);
    key = next_key_++;
    watches_[key] = std::move(on_exit);
    epoll_event event{};
    // One-shot: a watch whose callback has run (or was dropped) is never reported again, even
    // while someone still holds the fd.
    event.events = EPOLLIN | EPOLLONESHOT;
    event.data.u64 = key;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, pidfd, &event) < 0) {
        // Cannot watch it: treat it as ended at once rather than never noticing.
        log::debug("epoll_ctl pidfd: " + std::string(strerror(errno)));
        auto callback = std::move(watches_[key]);
        watches_.erase(key);
        enqueue([callback = std::move(callback), key] { callback(key); });
    }
}

void EngineImpl::supervisor_loop() {
    epoll_event events[32];
    for (;;) {
        int64_t timeout_ms = -1;
        std::vector<std::string> due;
        {
            std::lock_guard lock(mutex_);
            if (shutting_down_)
                return;
            int64_t now = sys::monotonic_ns();
            for (auto& [id, record] : containers_) {
                if (record->container.state.status != Status::restarting ||
                    record->restart_due_ns == 0 || record->restart_queued)
                    continue;
                if (record->restart_due_ns <= now) {
                    record->restart_queued = true;
                    due.push_back(id);
                } else {
                    int64_t left = (record->restart_due_ns - now + 999'999) / 1'000'000;
                    timeout_ms = timeout_ms < 0 ? left : std::min(timeout_ms, left);
                }
            }
        }
        for (const auto& id : due)
            enqueue([this, id] { restart_due(id); });
        int count = ::epoll_wait(epoll_.get(), events, 32,
                                 static_cast<int>(std::min<int64_t>(timeout_ms, 3'600'000)));
        if (count < 0 && errno != EINTR)
            return;
        for (int i = 0; i < count; ++i) {
            uint64_t key = events[i].data.u64;
            if (key == 0) {
                drain_eventfd(supervisor_wake_.get());
                continue;
            }
            std::function<void(uint64_t)> callback;
            {
                std::lock_guard lock(watch_mutex_);
                auto found = watches_.find(key);
                if (found == watches_.end())
                    continue;
                callback = std::move(found->second);
                watches_.erase(found);
            }
            callback(key);
        }
    }
}

void EngineImpl::record_exit_locked(ContainerRecord& record, const runtime::ExitStatus& status) {
    auto& state = record.container.state;
    state.status = Status::exited;
    state.pid = 0;
    state.exit_code = status.exit_code;
    state.oom_killed = status.oom_killed;
    state.error = status.error;
    state.finished_at_ns = status.finished_at_ns ? status.finished_at_ns : sys::realtime_ns();
    ++record.exit_generation;
    if (status.oom_killed)
        emit_locked(record, "oom");
    int64_t ran_ns = state.started_at_ns ? state.finished_at_ns - state.started_at_ns : 0;
    emit_locked(record, "die",
                {{"exitCode", std::to_string(status.exit_code)},
                 {"execDuration", std::to_string(std::max<int64_t>(ran_ns, 0) / second_ns)}});
}

void EngineImpl::unwatch_locked(uint64_t& key, int fd) {
    if (key == 0)
        return;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
    std::lock_guard lock(watch_mutex_);
    watches_.erase(key);
    key = 0;
}

void EngineImpl::supervise_shim_locked(ContainerRecord& record, runtime::ShimProcess shim) {
    // An earlier run's shim that is gone but whose callback has not run yet is let go.
    unwatch_locked(record.epoll_key, record.shim_pidfd.get());
    unwatch_locked(record.notice_key, record.shim_exit_notice.get());
    record.shim_pidfd = std::move(shim.pidfd);
    record.shim_exit_notice = std::move(shim.exit_notice);
    record.awaiting_exit = true;
    std::string id = record.container.id;
    watch_pidfd_locked(record.epoll_key, record.shim_pidfd.get(),
                       [this, id](uint64_t key) { handle_shim_gone(id, key); });
    if (shim.exit_noticed) {
        // It said "exited" with its ready line (a container that ended at once).
        record.shim_exit_notice.reset();
        handle_container_exit_locked(record);
    } else if (record.shim_exit_notice) {
        watch_pidfd_locked(record.notice_key, record.shim_exit_notice.get(),
                           [this, id](uint64_t key) { handle_exit_notice(id, key); });
    }
}

ContainerRecord* EngineImpl::watched_record_locked(const std::string& id, uint64_t key,
                                                   uint64_t ContainerRecord::*watch) {
    auto found = containers_.find(id);
    if (found == containers_.end() || (*found->second).*watch != key)
        return nullptr;  // removed, or a later run's watch
    return found->second.get();
}

void EngineImpl::drop_exit_notice_locked(ContainerRecord& record) {
    // Closing our end lets the shim finish its clean-up and exit (its pidfd tells the rest).
    unwatch_locked(record.notice_key, record.shim_exit_notice.get());
    record.shim_exit_notice.reset();
}

void EngineImpl::handle_exit_notice(const std::string& id, uint64_t key) {
    std::lock_guard lock(mutex_);
    auto* record = watched_record_locked(id, key, &ContainerRecord::notice_key);
    if (!record)
        return;
    bool exited = runtime::read_exit_notice(record->shim_exit_notice.get());
    drop_exit_notice_locked(*record);
    if (exited && record->awaiting_exit)
        handle_container_exit_locked(*record);
}

void EngineImpl::handle_shim_gone(const std::string& id, uint64_t key) {
    std::lock_guard lock(mutex_);
    auto* found = watched_record_locked(id, key, &ContainerRecord::epoll_key);
    if (!found)
        return;
    auto& record = *found;
    unwatch_locked(record.epoll_key, record.shim_pidfd.get());
    record.shim_pidfd.reset();
    drop_exit_notice_locked(record);
    if (record.awaiting_exit)
        handle_container_exit_locked(record);
    else
        state_changed();  // wait_shim_gone
}

void EngineImpl::wait_shim_gone(const std::shared_ptr<ContainerRecord>& record,
                                int64_t timeout_ns) {
    ErrorOr<UniqueFd> pidfd = Error::not_found("no shim");
    {
        std::lock_guard lock(mutex_);
        if (!record->shim_pidfd)
            return;
        pidfd = sys::duplicate(record->shim_pidfd.get());
    }
    if (!pidfd.is_error())
        (void)sleep_on(pidfd->get(), {}, timeout_ns);
}

void EngineImpl::when_shim_gone_locked(ContainerRecord& record, std::function<void()> action) {
    if (!record.shim_pidfd) {
        enqueue_housekeeping(std::move(action));
        return;
    }
    // A watch of its own on a duplicate of the pidfd, held by the callback until it has run.
    auto copy = sys::duplicate(record.shim_pidfd.get());
    if (copy.is_error()) {
        enqueue_housekeeping(std::move(action));
        return;
    }
    auto pidfd = std::make_shared<UniqueFd>(copy.release_value());
    uint64_t key = 0;
    watch_pidfd_locked(key, pidfd->get(), [this, pidfd, action = std::move(action)](uint64_t) {
        enqueue_housekeeping(action);
    });
}

void EngineImpl::handle_container_exit_locked(ContainerRecord& record) {
    record.awaiting_exit = false;
    const std::string id = record.container.id;
    runtime::ExitStatus status;
    auto exit = runtime::read_exit_status(exec_root_dir(id));
    if (!exit.is_error() && exit->has_value()) {
        status = **exit;
    } else {
        status.exit_code = 255;
        status.error = "the container's supervisor ended without an exit status";
    }
    record_exit_locked(record, status);
    auto& container = record.container;
    if (!container.state.stopped_by_user && !shutting_down_ &&
        should_restart(container.host_config.restart_policy, status.exit_code,
                       container.state.restart_count)) {
        int64_t ran_for = container.state.finished_at_ns - container.state.started_at_ns;
        record.restart_delay_ns = next_restart_delay(record.restart_delay_ns, ran_for);
        record.restart_due_ns = sys::monotonic_ns() + record.restart_delay_ns;
        record.restart_queued = false;
        container.state.status = Status::restarting;
        wake_supervisor();
    } else if (container.host_config.auto_remove) {
        // Removed next, on the worker: its record is not rewritten on the way (the removal of
        // an auto-remove container writes none either). An engine that dies before the
        // removal finds the record "running", the shim gone and exit.json, and removes it.
        std::string container_id = id;
        enqueue([this, container_id] {
            (void)remove(container_id, {.force = false, .remove_volumes = true});
        });
        state_changed();
        return;
    }
    (void)persist_state_locked(record);
    state_changed();
}

void EngineImpl::restart_due(const std::string& id) {
    auto record = find(id);
    if (record.is_error())
        return;
    std::lock_guard operation((*record)->operation);
    {
        std::lock_guard lock(mutex_);
        (*record)->restart_queued = false;
        if ((*record)->container.state.status != Status::restarting)
            return;  // stopped or removed meanwhile
        // The attempt counts now; the status stays `restarting` until the start makes it
        // `running` (or fails): a client never sees the new count on an exited container
        // that has not run again yet.
        ++(*record)->container.state.restart_count;
    }
    auto started = start_operation(*record);
    if (started.is_error()) {
        log::debug("restart " + id + ": " + started.error().message());
        std::lock_guard lock(mutex_);
        auto& container = (*record)->container;
        if (!container.state.stopped_by_user && !shutting_down_ &&
            should_restart(container.host_config.restart_policy, container.state.exit_code,
                           container.state.restart_count)) {
            (*record)->restart_delay_ns = next_restart_delay((*record)->restart_delay_ns, 0);
            (*record)->restart_due_ns = sys::monotonic_ns() + (*record)->restart_delay_ns;
            container.state.status = Status::restarting;
            (void)persist_locked(**record);
            wake_supervisor();
        }
        state_changed();
    }
}

// Worker ----------------------------------------------------------------------------------------

void EngineImpl::enqueue(std::function<void()> action) {
    (void)worker_.post(std::move(action));
}

void EngineImpl::enqueue_housekeeping(std::function<void()> action) {
    (void)housekeeping_.post(std::move(action));
}

}  // namespace corral::engine
