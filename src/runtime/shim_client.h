// The engine's side of corral-shim, the per-container supervisor that keeps a container, its
// log and its exit code alive when the engine dies. The wire format stays in src/runtime.
//
// Life of a container (the engine's calls in order):
//   1. prepare_bundle(...)                 runtime.h: rootfs mounted, config.json written;
//                                          release() the RootfsMount: the shim unmounts it.
//   2. spawn_shim(...)                     double-forked, setsid'ed shim; returns when the shim
//                                          listens on attach.sock (the container does not
//                                          exist yet); exec_root_dir/shim.json holds its pid.
//   3. ShimClient::connect(...) for every attached client (before start: they get all output)
//   4. start_container(exec_root_dir)      the shim runs `crun run --detach` (one runtime
//                                          process per start); returns the state with the
//                                          container's pid, or crun's error.
//   5. wait for the shim's pidfd (ShimProcess::pidfd) to become readable: the container has
//      exited, its output is flushed, exit.json is written, `crun delete` has run, the rootfs
//      is unmounted. read_exit_status(exec_root_dir) gives the result.
// After an engine restart: open_shim(exec_root_dir) gives the pidfd again when the shim still
// runs; otherwise read_exit_status tells whether it finished (nullopt: it died without one).
//
// Shim behaviour the engine can rely on:
//   - readiness: a pipe on the shim's fd 3 gets one line, "ready <shim pid>" or
//     "error <message>"; on error nothing is left (no attach.sock, crun state deleted, rootfs
//     unmounted). spawn_shim turns this into its result. A start that fails (crun run's
//     stderr is the error) ends the shim like an exit: exit.json holds 128 and the error.
//   - the shim holds none of the engine's fds, is not the engine's child (the intermediate
//     process exits at once), is a child subreaper, and ignores SIGHUP/SIGINT/SIGTERM/SIGPIPE.
//   - output is read only while every subscribed client has less than 1 MiB queued: a client
//     that stops reading holds the container's output (as docker's attach does).
//   - at exit: output drained, log partial lines flushed, OOM read from memory.events, `crun
//     delete`, rootfs unmounted, exit.json written, an exit event queued to every client, the
//     listener closed; the shim exits once clients have their data (at most 10 s more).
//   - StdinOnce: container stdin is closed when a client that declared stdin disconnects or
//     sends close_stdin. With a tty, close_stdin is ignored (the pty stays open).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/fd.h"
#include "base/process.h"
#include "engine/types.h"
#include "runtime/runtime.h"

namespace corral::runtime {

struct ShimOptions {
    std::string id;
    std::string container_dir;  // the rootfs is mounted on <container_dir>/rootfs
    std::string exec_root_dir;  // the bundle is <exec_root_dir>/bundle
    bool tty = false;
    bool open_stdin = false;  // keep a stdin pipe (or the pty) open for attach clients
    // Closes container stdin when the first attached client that wrote stdin detaches
    // (docker's StdinOnce).
    bool stdin_once = false;
    engine::LogConfig log_config;
    std::string log_path;     // json-file path; unused when log_config.type == "none"
    unsigned short rows = 0;  // initial tty size (0 = default)
    unsigned short columns = 0;
    // Run the container before reporting ready, for starts no client attaches to before the
    // process runs. Do not call start_container then: the container may already be gone.
    bool start_immediately = false;
};

// Written atomically by the shim to <exec_root_dir>/shim.json before it reports ready.
// Start times (from /proc/<pid>/stat) guard against pid reuse. container_pid is 0 until the
// container runs (rewritten by the start).
struct ShimState {
    pid_t shim_pid = 0;
    uint64_t shim_start_time = 0;
    pid_t container_pid = 0;
    uint64_t container_start_time = 0;
};

// Written atomically by the shim to <exec_root_dir>/exit.json when the container has exited.
struct ExitStatus {
    int exit_code = 0;  // exit code, or 128+N when killed by signal N
    bool oom_killed = false;
    int64_t finished_at_ns = 0;  // wall clock
    std::string error;           // the shim's own failure (crun run failed...), empty otherwise
};

// A live shim: its state and a pidfd that becomes readable (POLLIN) when the shim exits.
// A spawned shim also leaves its readiness pipe (`exit_notice`, nonblocking): it carries
// "exited\n" once the container has exited and exit.json is written, before the shim's
// clean-up (unmount, crun's state); then end of file. The shim stays until the pipe is closed
// (or 5 s), so close it once read. A shim found again (open_shim) has none.
struct ShimProcess {
    ShimState state;
    UniqueFd pidfd;
    UniqueFd exit_notice;
    bool exit_noticed = false;  // "exited" came with the ready line
};

// Reads what the exit notice pipe holds: true once it said "exited".
bool read_exit_notice(int fd);

ErrorOr<ShimProcess> spawn_shim(const RuntimeOptions& runtime, const ShimOptions& options);

// spawn_shim in two halves, for work to overlap the shim's set-up: the request (the factory
// forks, or a spawn), then the wait for its ready line. A ShimSpawn dropped unfinished leaves a
// shim that waits for a start: finish it and kill it (ShimProcess::pidfd).
struct ShimSpawn {
    UniqueFd ready;
    std::optional<Child> intermediate;  // spawned without the factory: collected at the finish
    std::string exec_root_dir;
};
ErrorOr<ShimSpawn> begin_spawn_shim(const RuntimeOptions& runtime, const ShimOptions& options);
ErrorOr<ShimProcess> finish_spawn_shim(ShimSpawn& spawning);

// The shim factory: a corral-shim exec'd ahead of time that forks the shim of every following
// spawn_shim (a fork of a small single-threaded process instead of a fork of the engine and an
// exec). One per process; prepare is a no-op while it lives, and spawn_shim spawns shims itself
// while there is none. The factory exits when drop_shim_factory closes its socket or the
// engine is gone; the shims it forked are not its children and live on.
ErrorOr<void> prepare_shim_factory(const RuntimeOptions& runtime);
// Ends the factory, if any (engine shutdown).
void drop_shim_factory();
bool has_shim_factory();
ErrorOr<ShimState> read_shim_state(const std::string& exec_root_dir);
// The running shim of this exec-root, or nullopt when it is gone.
ErrorOr<std::optional<ShimProcess>> open_shim(const std::string& exec_root_dir);
bool shim_alive(const ShimState& state);
// A pidfd for the container's init process if it still runs (start time checked).
ErrorOr<std::optional<UniqueFd>> open_container_pidfd(const ShimState& state);
// nullopt: no exit status written (still running, or the shim died).
ErrorOr<std::optional<ExitStatus>> read_exit_status(const std::string& exec_root_dir);
// Tells the shim to run the container; returns after it ran: the shim state with the
// container's pid, or the error of the start.
ErrorOr<ShimState> start_container(const std::string& exec_root_dir);
// Sends a signal to the container's init process through its pidfd (no crun fork); falls back
// to crun kill when the shim state is unknown.
ErrorOr<void> kill_container(const RuntimeOptions& runtime, const std::string& id,
                             const std::string& exec_root_dir, int signal);

// What an attached client receives.
struct ShimEvent {
    enum class Kind { stdout_data, stderr_data, exit, start_result };
    Kind kind = Kind::stdout_data;
    std::string data;   // output bytes; start_result: the error message, empty on success
    int exit_code = 0;  // exit
    bool oom_killed = false;
};

// Decodes the shim's messages from bytes read off an attach connection, for callers that
// poll the fd in their own event loop.
class ShimEventDecoder {
  public:
    // Appends bytes; returns an error for malformed or oversized frames.
    ErrorOr<void> feed(std::string_view bytes);
    std::optional<ShimEvent> next();

  private:
    std::string buffer_;
    std::deque<ShimEvent> ready_;
};

struct AttachStreams {
    bool stdout_stream = false;  // receive stdout
    bool stderr_stream = false;  // receive stderr (tty: everything comes as stdout)
    bool stdin_stream = false;   // this client may write stdin (counts for StdinOnce)
};

// One connection to a shim's attach socket.
class ShimClient {
  public:
    static ErrorOr<ShimClient> connect(const std::string& exec_root_dir, AttachStreams streams);

    int fd() const { return fd_.get(); }
    // Blocking read of the next event; nullopt when the shim closed the connection (after the
    // exit event).
    ErrorOr<std::optional<ShimEvent>> read_event();
    // For event loops: decode bytes read from fd() yourself.
    ShimEventDecoder& decoder() { return decoder_; }

    ErrorOr<void> write_stdin(std::string_view data);
    ErrorOr<void> close_stdin();
    ErrorOr<void> resize(unsigned short rows, unsigned short columns);
    // Asks the shim to run the container and waits for its answer; output events that arrive
    // meanwhile are kept for read_event().
    ErrorOr<void> start();

  private:
    explicit ShimClient(UniqueFd fd) : fd_(std::move(fd)) {}
    ErrorOr<void> send(char type, std::string_view payload);
    UniqueFd fd_;
    ShimEventDecoder decoder_;
    std::deque<ShimEvent> pending_;
};

}  // namespace corral::runtime
