// The engine's implementation: the container table, supervision, the worker that runs
// delayed actions (restarts with backoff, auto-removal) and the housekeeping (clean-up after
// removals, network namespaces made ahead) at idle priority. Split by concern over engine.cc
// (records, create, queries), lifecycle.cc (start/stop/remove/wait, supervisor), attach.cc
// (attach, logs, resize) and exec.cc (exec, top).
//
// Locking: `mutex_` guards the tables and every record's fields; it is held only for short
// sections (and for writing a record to disk). A record's `operation` mutex serializes the
// long operations on one container (start, stop, restart, remove) and is always taken before
// `mutex_`, never while holding it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "base/work_queue.h"
#include "engine/engine.h"
#include "engine/events.h"
#include "engine/notifier.h"
#include "runtime/network_namespace.h"
#include "runtime/runtime.h"
#include "runtime/shim_client.h"

namespace corral::engine {

// An attach request waiting for its container to start: start() connects it to the new shim.
struct PendingAttach {
    runtime::AttachStreams streams;
    bool connected = false;
    std::optional<ErrorOr<runtime::ShimClient>> client;
};

struct ContainerRecord {
    Container container;
    std::mutex operation;
    // Supervision of a running container: the shim's pidfd (readable once it is gone) and,
    // for a shim this engine spawned, its exit notice (readable once the container exited,
    // before the shim's clean-up). `awaiting_exit` until this run's exit is recorded.
    UniqueFd shim_pidfd;
    uint64_t epoll_key = 0;
    UniqueFd shim_exit_notice;
    uint64_t notice_key = 0;
    bool awaiting_exit = false;
    // Counts exits, for wait(next-exit).
    uint64_t exit_generation = 0;
    bool removed = false;
    // Restart backoff: the last delay, and when the pending restart is due (monotonic).
    int64_t restart_delay_ns = 0;
    int64_t restart_due_ns = 0;
    bool restart_queued = false;
    std::vector<std::shared_ptr<PendingAttach>> pending_attaches;
};

struct ExecRecord {
    ExecInfo info;
    bool started = false;
    std::optional<runtime::ExecProcess> process;
    uint64_t epoll_key = 0;
    int64_t created_ns = 0;
};

class EngineImpl final : public Engine {
  public:
    EngineImpl(EngineOptions options, image::Store& store);
    ~EngineImpl() override;

    ErrorOr<void> initialize();

    ErrorOr<CreateResult> create_container(CreateRequest request) override;
    ErrorOr<void> start(const std::string& ref) override;
    ErrorOr<void> stop(const std::string& ref, std::optional<int> timeout_seconds,
                       std::string signal) override;
    ErrorOr<void> kill(const std::string& ref, std::string signal) override;
    ErrorOr<void> pause(const std::string& ref) override;
    ErrorOr<void> unpause(const std::string& ref) override;
    ErrorOr<void> restart(const std::string& ref, std::optional<int> timeout_seconds) override;
    ErrorOr<void> remove(const std::string& ref, RemoveOptions options) override;
    ErrorOr<void> rename(const std::string& ref, const std::string& new_name) override;
    ErrorOr<std::vector<std::string>> prune(const std::vector<std::string>& labels) override;
    ErrorOr<WaitResult> wait(const std::string& ref, WaitCondition condition,
                             const Cancellation& cancel) override;
    ErrorOr<std::unique_ptr<PendingWait>> begin_wait(const std::string& ref,
                                                     WaitCondition condition) override;
    ErrorOr<Container> inspect(const std::string& ref) override;
    ErrorOr<std::vector<Container>> list(const ListOptions& options) override;
    ErrorOr<std::string> resolve(const std::string& ref) override;

    ErrorOr<void> logs(const std::string& ref, const LogOptions& options, const LogSink& sink,
                       const Cancellation& cancel) override;
    ErrorOr<void> attach(const std::string& ref, const AttachOptions& options,
                         Hijack hijack) override;
    ErrorOr<void> resize(const std::string& ref, int height, int width) override;

    ErrorOr<std::string> exec_create(const std::string& ref, ExecConfig config) override;
    ErrorOr<void> exec_start(const std::string& exec_id, ExecStartOptions options,
                             Hijack hijack) override;
    ErrorOr<ExecInfo> exec_inspect(const std::string& exec_id) override;
    ErrorOr<void> exec_resize(const std::string& exec_id, int height, int width) override;
    ErrorOr<TopResult> top(const std::string& ref, const std::string& ps_args) override;

    std::optional<std::string> image_in_use(const std::string& image_id) override;
    std::optional<image::ImageUser> image_user(const std::string& image_id) override;

    ErrorOr<std::unique_ptr<EventSubscription>> subscribe(int64_t since_ns, int64_t until_ns,
                                                          EventFilters filters) override;
    void publish(Event event) override;
    void stop_all(int timeout_seconds) override;
    void shutdown() override;

  private:
    friend class PendingWaitImpl;
    // Paths.
    std::string container_dir(const std::string& id) const;
    std::string record_path(const std::string& id) const;
    // <data-root>/trash: removed containers' directories, until their files are deleted.
    std::string trash_dir() const;
    std::string exec_root_dir(const std::string& id) const;
    std::string volume_dir(const std::string& name) const;

    // Table access (mutex_ held).
    ErrorOr<std::shared_ptr<ContainerRecord>> find_locked(const std::string& ref);
    ErrorOr<std::shared_ptr<ContainerRecord>> find(const std::string& ref);
    ErrorOr<void> persist_locked(const ContainerRecord& record);
    // Runtime state only (running, exit status, removing): atomic, not fsynced (engine.cc).
    ErrorOr<void> persist_state_locked(const ContainerRecord& record);
    void emit_locked(const ContainerRecord& record, const std::string& action,
                     std::map<std::string, std::string> extra = {});
    void state_changed();

    // Restore.
    ErrorOr<void> restore();
    void restore_one(const std::string& id);
    void sweep_exec_root();

    // Lifecycle (operation lock held by the caller).
    ErrorOr<void> start_operation(const std::shared_ptr<ContainerRecord>& record);
    ErrorOr<void> stop_operation(const std::shared_ptr<ContainerRecord>& record,
                                 std::optional<int> timeout_seconds, const std::string& signal);
    ErrorOr<void> remove_operation(const std::shared_ptr<ContainerRecord>& record,
                                   RemoveOptions options);
    ErrorOr<runtime::BundleRequest> bundle_request(const Container& container);
    // Resumes a paused container (after a signal was sent to it) and marks it running.
    void thaw_if_paused(const std::shared_ptr<ContainerRecord>& record);
    // Blocks until the container is not running (or `timeout_ns` passes: returns false).
    ErrorOr<bool> wait_not_running(const std::shared_ptr<ContainerRecord>& record,
                                   int64_t timeout_ns);
    void cleanup_runtime(const std::string& id);

    // Supervision.
    void supervisor_loop();
    // Calls `on_ready(key)` once, on the supervisor thread, when `fd` becomes readable (one-shot:
    // the fd is not reported again).
    void watch_pidfd_locked(uint64_t& key, int fd, std::function<void(uint64_t)> on_ready);
    void unwatch_locked(uint64_t& key, int fd);
    // Watches the shim of a started or re-adopted container (mutex_ held).
    void supervise_shim_locked(ContainerRecord& record, runtime::ShimProcess shim);
    // The record `id` if its watch (epoll_key or notice_key) is still `key`, else null.
    ContainerRecord* watched_record_locked(const std::string& id, uint64_t key,
                                           uint64_t ContainerRecord::*watch);
    void drop_exit_notice_locked(ContainerRecord& record);
    void handle_exit_notice(const std::string& id, uint64_t key);
    void handle_shim_gone(const std::string& id, uint64_t key);
    // This run's exit: exit.json, then restart, auto-removal or the record (mutex_ held).
    void handle_container_exit_locked(ContainerRecord& record);
    // Blocks until the container's last shim is gone (its clean-up done), or the timeout.
    void wait_shim_gone(const std::shared_ptr<ContainerRecord>& record, int64_t timeout_ns);
    // Runs `action` on the housekeeping queue once the container's last shim is gone (mutex_
    // held).
    void when_shim_gone_locked(ContainerRecord& record, std::function<void()> action);
    void handle_exec_exit(const std::string& exec_id);
    void record_exit_locked(ContainerRecord& record, const runtime::ExitStatus& status);
    void wake_supervisor();
    // Worker: delayed actions (restarts, auto-removal).
    void enqueue(std::function<void()> action);
    // Housekeeping: what nobody waits for (a removal's clean-up, namespaces made ahead).
    void enqueue_housekeeping(std::function<void()> action);
    void restart_due(const std::string& id);

    // Streams.
    ErrorOr<void> pump_attach(const Container& container, const AttachOptions& options,
                              runtime::ShimClient& client, int connection,
                              std::string buffered_input, bool stdin_ended);
    ErrorOr<void> pump_exec(ExecRecord& exec, int connection, bool tty, std::string buffered,
                            UniqueFd* stdin_write, int stdout_fd, int stderr_fd);

    EngineOptions options_;
    image::Store& store_;
    runtime::RuntimeOptions runtime_;
    // runtime::prepare_init_layer's, laid over every container's image; empty if it failed.
    std::string init_layer_;
    // Network namespaces for containers of their own network, made by the housekeeping.
    runtime::NetworkNamespacePool network_namespaces_{2};

    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<ContainerRecord>> containers_;
    std::map<std::string, std::string> names_;  // name → id
    std::map<std::string, std::shared_ptr<ExecRecord>> execs_;
    bool shutting_down_ = false;

    Notifier notifier_;
    EventBus events_;

    UniqueFd epoll_;
    UniqueFd supervisor_wake_;
    std::mutex watch_mutex_;
    uint64_t next_key_ = 1;
    std::map<uint64_t, std::function<void(uint64_t)>> watches_;
    std::thread supervisor_;

    WorkQueue worker_{WorkQueue::Priority::normal};
    WorkQueue housekeeping_{WorkQueue::Priority::idle};
};

}  // namespace corral::engine
