// The container engine: the object the Docker-API server (src/api) and PID 1 (src/init) drive.
//
// Every public method is thread-safe: the API serves each connection on its own thread, and the
// blocking calls (wait, logs with follow, attach, exec_start, event subscriptions) block only
// the calling thread. Container state is persisted under data_root at every change, so a new
// Engine built on the same data_root re-adopts the containers that kept running (the per
// container shim outlives the engine) and learns the exit codes of those that ended meanwhile.
//
// On disk:
//   <data_root>/containers/<id>/container.json    the record (engine/state.h), atomic writes
//   <data_root>/containers/<id>/<id>-json.log     json-file log (written by the shim)
//   <data_root>/containers/<id>/{bundle,upper,work,hostname,hosts,resolv.conf}   runtime's
//   <data_root>/volumes/<name>/_data              named and anonymous volumes
//   <exec_root>/containers/<id>/                  shim state, exit status, attach socket
//   <exec_root>/crun/                             crun's --root
//
// The engine's own children (crun exec processes, ps for top, crun commands, shims) are spawned
// with base/process.h and waited for by pid through Child::wait. In PID 1, where the engine
// runs on threads of init, the process-wide reaper (base/reaper.h) collects every child and
// hands those statuses to their waiters; no code of the engine may call waitpid itself.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/fd.h"
#include "engine/types.h"
#include "image/store.h"

namespace corral::engine {

struct EngineOptions {
    // Persistent state: containers/<id>/ (record, logs), volumes/<name>/.
    std::string data_root = "/var/lib/system-docker";
    // Volatile state: bundles, rootfs mounts, shim sockets (a tmpfs in a real system).
    std::string exec_root = "/run/system-docker";
    // On a development host: no device cgroup rules, no rlimits above the current hard limits.
    bool host_mode = false;
    // cgroup v2 path (relative to the cgroup2 mount) under which containers are placed.
    std::string cgroup_parent = "system-docker";
    // Seconds between the stop signal and SIGKILL when neither the request nor the container
    // gives one.
    int default_stop_timeout = 10;
    // The program that supervises one container (our binary under the name corral-shim).
    // Empty: /proc/self/exe.
    std::string shim_path;
    // The OCI runtime the shim drives.
    std::string runtime_path = "crun";
    // Starts crun at fixed addresses (runtime::RuntimeOptions::crun_fixed_addresses).
    bool crun_fixed_addresses = false;
    // Apply restart policies (start always/unless-stopped containers) when the engine comes up.
    bool restore_restart_policies = true;

    // Limits on what clients can allocate.
    size_t max_containers = 4096;
    size_t max_execs_per_container = 64;
    size_t max_event_subscribers = 128;
    size_t max_attachers_per_container = 32;
};

struct CreateResult {
    std::string id;
    std::vector<std::string> warnings;
};

enum class WaitCondition { not_running, next_exit, removed };
// Parses docker's condition query values "not-running", "next-exit", "removed" ("" means
// not-running).
ErrorOr<WaitCondition> parse_wait_condition(std::string_view text);

// How a blocking call learns that its client went away or that it should end. Either fd may be
// -1. The call returns (with ErrorKind::unavailable, "cancelled") once `event_fd` is readable,
// or once `hangup_fd` (a client socket) reports POLLRDHUP/POLLHUP/POLLERR; data waiting on
// hangup_fd does not count as cancellation.
struct Cancellation {
    int event_fd = -1;
    int hangup_fd = -1;
};

struct WaitResult {
    int exit_code = 0;
    std::string error;  // docker's Error.Message; empty when none
};

enum class LogStream { stdin_stream = 0, stdout_stream = 1, stderr_stream = 2 };

struct LogOptions {
    bool stdout_stream = true;
    bool stderr_stream = true;
    bool follow = false;
    int64_t since_ns = 0;  // wall clock; 0 = from the start
    int64_t until_ns = 0;  // wall clock; 0 = no end
    int64_t tail = -1;     // last N lines; -1 = all
    bool timestamps = false;
};
// Receives one log line (including its trailing newline if it had one). With timestamps the
// line is prefixed with "2006-01-02T15:04:05.000000000Z " as docker prints it. Returning an
// error stops the stream (the client went away); logs() then returns that error.
using LogSink = std::function<ErrorOr<void>(LogStream stream, std::string_view data)>;

// A client connection handed over by the API after it read an upgrade (hijack) request.
struct Hijack {
    UniqueFd connection;
    // Bytes the HTTP parser already read past the request head: the first bytes of stdin.
    std::string buffered_input;
    // Called once the engine has validated the request and is ready to stream, before any
    // stream byte is written: writes the HTTP response head (101 UPGRADED or 200) on `fd`.
    // Errors found before this call are returned by attach()/exec_start() as values, so the
    // API can still answer with an HTTP error status. May be empty when the API wrote the head
    // itself.
    std::function<ErrorOr<void>(int fd)> send_response;
};

struct AttachOptions {
    bool stdin_stream = false;
    bool stdout_stream = false;
    bool stderr_stream = false;
    bool logs = false;          // replay the log first
    bool stream = false;        // then follow the live output
    std::string detach_keys{};  // "ctrl-p,ctrl-q" when empty
};

struct ExecStartOptions {
    bool detach = false;
    bool tty = false;
    ConsoleSize console_size{};  // when given, instead of the one of exec create
};

struct TopResult {
    std::vector<std::string> titles;
    std::vector<std::vector<std::string>> processes;
};

struct RemoveOptions {
    bool force = false;
    bool remove_volumes = false;
};

// Which events a subscriber wants (docker's /events filters, decoded); each list, when not
// empty, must match.
struct EventFilters {
    std::vector<std::string> types{};       // "container", "image", ...
    std::vector<std::string> actions{};     // docker's "event" filter: "start", "die", ...
    std::vector<std::string> containers{};  // id, id prefix or name
    std::vector<std::string> images{};      // the "image" attribute, or the id for image events
    std::vector<std::string> labels{};      // "key" or "key=value"
};

class EventSubscription {
  public:
    virtual ~EventSubscription() = default;
    // Blocks until the next matching event. Returns nullopt when the subscription is over:
    // `until` passed, or the engine shut down. Returns ErrorKind::unavailable when cancelled.
    virtual ErrorOr<std::optional<Event>> next(const Cancellation& cancel) = 0;
};

// A wait whose starting point is fixed when it is made (for next-exit: the exits counted so
// far), so that the API can make it, send its response head, and only then block: an exit
// that happens in between is not missed.
class PendingWait {
  public:
    virtual ~PendingWait() = default;
    virtual ErrorOr<WaitResult> wait(const Cancellation& cancel) = 0;
};

class Engine {
  public:
    // Builds the engine on `options.data_root`: re-reads every container record, re-adopts
    // the containers whose shim still runs, records the exit of those whose shim ended, then
    // applies restart policies. `store` must outlive the engine.
    static ErrorOr<std::unique_ptr<Engine>> create(EngineOptions options, image::Store& store);
    virtual ~Engine() = default;

    // Containers. `ref` is a full id, a unique id prefix, or a name (with or without "/").
    // Unknown refs fail with ErrorKind::not_found, "No such container: <ref>".
    virtual ErrorOr<CreateResult> create_container(CreateRequest request) = 0;
    virtual ErrorOr<void> start(const std::string& ref) = 0;
    // Sends the stop signal (the given one, else the container's, else SIGTERM), waits up to
    // `timeout_seconds` (else the container's, else the default; -1 waits forever), then
    // SIGKILL. ErrorKind::not_modified when it was not running.
    virtual ErrorOr<void> stop(const std::string& ref, std::optional<int> timeout_seconds = {},
                               std::string signal = {}) = 0;
    // `signal` by name or number: "SIGKILL", "KILL", "9". Empty: SIGKILL. ErrorKind::conflict
    // when it is not running ("Container <id> is not running").
    virtual ErrorOr<void> kill(const std::string& ref, std::string signal = {}) = 0;
    virtual ErrorOr<void> restart(const std::string& ref,
                                  std::optional<int> timeout_seconds = {}) = 0;
    // Freezes every process of the container (crun pause: the cgroup freezer) and thaws it.
    // ErrorKind::conflict when it is not running, already paused, or not paused.
    virtual ErrorOr<void> pause(const std::string& ref) = 0;
    virtual ErrorOr<void> unpause(const std::string& ref) = 0;
    virtual ErrorOr<void> remove(const std::string& ref, RemoveOptions options) = 0;
    virtual ErrorOr<void> rename(const std::string& ref, const std::string& new_name) = 0;
    // `docker container prune`: removes every stopped (created, exited, dead) container whose
    // labels match (ListOptions::labels rules; "label!=" filters are not supported); returns
    // the removed ids.
    virtual ErrorOr<std::vector<std::string>> prune(const std::vector<std::string>& labels) = 0;
    virtual ErrorOr<WaitResult> wait(const std::string& ref, WaitCondition condition,
                                     const Cancellation& cancel) = 0;
    // As wait(), in two steps (see PendingWait).
    virtual ErrorOr<std::unique_ptr<PendingWait>> begin_wait(const std::string& ref,
                                                             WaitCondition condition) = 0;
    virtual ErrorOr<Container> inspect(const std::string& ref) = 0;
    // Sorted newest first, as `docker ps`.
    virtual ErrorOr<std::vector<Container>> list(const ListOptions& options) = 0;
    // The full id of `ref`.
    virtual ErrorOr<std::string> resolve(const std::string& ref) = 0;

    // Streams.
    virtual ErrorOr<void> logs(const std::string& ref, const LogOptions& options,
                               const LogSink& sink, const Cancellation& cancel) = 0;
    // Pumps the container's stdio over the hijacked connection until the container's output
    // ends, the client detaches (detach keys) or hangs up. Without a TTY the output is
    // multiplexed with docker's 8-byte frame header. Attaching to a created container works:
    // the output from its start on is delivered.
    virtual ErrorOr<void> attach(const std::string& ref, const AttachOptions& options,
                                 Hijack hijack) = 0;
    virtual ErrorOr<void> resize(const std::string& ref, int height, int width) = 0;

    // Exec.
    virtual ErrorOr<std::string> exec_create(const std::string& ref, ExecConfig config) = 0;
    // Detached: starts and returns. Otherwise pumps stdio over `hijack` until the process
    // ends. ErrorKind::not_found "No such exec instance: <id>".
    virtual ErrorOr<void> exec_start(const std::string& exec_id, ExecStartOptions options,
                                     Hijack hijack) = 0;
    virtual ErrorOr<ExecInfo> exec_inspect(const std::string& exec_id) = 0;
    virtual ErrorOr<void> exec_resize(const std::string& exec_id, int height, int width) = 0;

    // `ps_args` as docker top passes them ("-ef" when empty).
    virtual ErrorOr<TopResult> top(const std::string& ref, const std::string& ps_args) = 0;

    // For image removal: the id of a container that uses the image, if any (running first).
    virtual std::optional<std::string> image_in_use(const std::string& image_id) = 0;
    // The same in the shape image::Store::remove_image takes (an image::ImageUserLookup).
    virtual std::optional<image::ImageUser> image_user(const std::string& image_id) = 0;

    // Events. `since_ns` replays remembered events from then on; `until_ns` (0 = none) ends
    // the subscription. ErrorKind::too_large when there are too many subscribers.
    virtual ErrorOr<std::unique_ptr<EventSubscription>> subscribe(int64_t since_ns,
                                                                  int64_t until_ns,
                                                                  EventFilters filters) = 0;
    // The API publishes image events (pull, tag, delete, ...); time_ns is set when 0.
    virtual void publish(Event event) = 0;

    // Poweroff: stops every running container (stop signal, then SIGKILL after
    // `timeout_seconds`, in parallel) and waits for them.
    virtual void stop_all(int timeout_seconds) = 0;
    // Daemon exit: stops supervising and wakes every blocked call; containers keep running and
    // a later Engine re-adopts them.
    virtual void shutdown() = 0;

  protected:
    Engine() = default;
};

}  // namespace corral::engine
