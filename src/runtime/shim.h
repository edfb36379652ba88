// corral-shim, the per-container supervisor (the server side of shim_client.h). One shim per
// running container: it serves the attach socket, runs the container (`crun run --detach`,
// runtime/shim_launch.h) when told, writes the json-file log, and records the exit status
// when the container exits.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "runtime/runtime.h"
#include "runtime/shim_client.h"

namespace corral::runtime {

struct ShimArguments {
    RuntimeOptions runtime;
    ShimOptions shim;
    // Receives "ready <pid>\n" or "error <message>\n", then "exited\n" once the container has
    // exited and exit.json is written (before the shim's clean-up).
    int ready_fd = -1;
};

// Command line of the shim (after the program name) and back.
std::vector<std::string> shim_command_line(const RuntimeOptions& runtime,
                                           const ShimOptions& options, int ready_fd);
ErrorOr<ShimArguments> parse_shim_command_line(const std::vector<std::string>& arguments);

// Runs the shim to the end (the container's exit); returns the shim's exit code. run_shim
// first forks and ends the calling process (the shim leaves its spawner's process tree);
// run_forked_shim runs in the calling process, a fresh child of the shim factory.
int run_shim(const ShimArguments& arguments);
int run_forked_shim(const ShimArguments& arguments);

// The shim factory (runtime::prepare_shim_factory): reads requests from `socket_fd` (a
// SOCK_SEQPACKET socket), each a shim command line, NUL-separated, with the shim's readiness
// pipe passed along (SCM_RIGHTS), and forks a shim for each: one fork on the start's path, the
// shim a child of the factory, which the kernel reaps (SA_NOCLDWAIT); when the factory ends
// with the engine, its shims go on under init (or the nearest subreaper). A request that
// cannot be read as one gets "error ..." on its pipe. Returns when the engine closes its end.
int run_shim_factory(int socket_fd);

// Start time of a process in clock ticks since boot (/proc/<pid>/stat field 22); 0 if gone.
uint64_t process_start_time(pid_t pid);

// Parsers of the shim's state files (shim.json, exit.json).
ErrorOr<ShimState> parse_shim_state(std::string_view text);
ErrorOr<ExitStatus> parse_exit_status(std::string_view text);

// File names inside the exec-root dir.
inline constexpr const char* shim_state_file = "shim.json";
inline constexpr const char* exit_status_file = "exit.json";
// The line of the readiness pipe that says the container has exited (exit.json is there).
inline constexpr const char* shim_exited_line = "exited";

}  // namespace corral::runtime
