// Supervision: the thread that watches shim and exec pidfds (epoll, no polling) and runs
// restart timers, and the worker that performs delayed actions (restarts, auto-removal).
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

void EngineImpl::watch_pidfd_locked(uint64_t& key, int pidfd, std::function<void()> on_exit) {
    std::lock_guard lock(watch_mutex_);
    key = next_key_++;
    watches_[key] = std::move(on_exit);
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = key;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, pidfd, &event) < 0) {
        // Cannot watch it: treat it as ended at once rather than never noticing.
        log::debug("epoll_ctl pidfd: " + std::string(strerror(errno)));
        auto callback = std::move(watches_[key]);
        watches_.erase(key);
        enqueue(std::move(callback));
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
            std::function<void()> callback;
            {
                std::lock_guard lock(watch_mutex_);
                auto found = watches_.find(key);
                if (found == watches_.end())
                    continue;
                callback = std::move(found->second);
                watches_.erase(found);
            }
            callback();
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

void EngineImpl::handle_container_exit(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto found = containers_.find(id);
    if (found == containers_.end())
        return;
    auto& record = *found->second;
    if (record.shim_pidfd) {
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, record.shim_pidfd.get(), nullptr);
        record.shim_pidfd.reset();
    }
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
    {
        std::lock_guard lock(worker_mutex_);
        if (worker_stop_)
            return;
        worker_queue_.push_back(std::move(action));
    }
    worker_cv_.notify_one();
}

void EngineImpl::worker_loop() {
    for (;;) {
        std::function<void()> action;
        {
            std::unique_lock lock(worker_mutex_);
            worker_cv_.wait(lock, [&] { return worker_stop_ || !worker_queue_.empty(); });
            if (worker_stop_)
                return;
            action = std::move(worker_queue_.front());
            worker_queue_.pop_front();
        }
        action();
    }
}

}  // namespace corral::engine
