// The process-wide child reaper of PID 1.
//
// PID 1 must reap every process re-parented to it, and the system engine, which runs inside
// PID 1, waits for its own children by pid (crun, shims, exec processes). A `waitpid(-1)`
// somewhere would steal the statuses those waits expect. When enabled, one thread collects
// every child with `waitid(P_ALL)`: a child forked through `fork_child` (what `spawn` uses)
// is registered under a lock held across the fork, and its status is kept for `wait`; any other
// child (an orphan re-parented to us) is reaped and dropped.
//
// Disabled (the default: tools, host mode, tests that do not enable it), `fork_child` is a
// plain fork and `wait` a plain waitpid.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

#include "base/error.h"
#include "base/fd.h"
#include "base/sys.h"

namespace corral::reaper {

// Starts the reaping thread (PID 1, or a test); a second call does nothing. From then on no
// other code of this process may wait for children except through `wait`.
ErrorOr<void> enable();
// Stops the reaping thread (tests), once no `wait` is in progress. Statuses collected so far
// stay available to `wait`.
void disable();
bool enabled();

struct Forked {
    pid_t pid = 0;   // 0 in the child
    UniqueFd pidfd;  // in the parent when asked for (and the kernel has pidfd_open)
};
// fork(2), with the child registered for `wait` before the reaper can look at it. The pidfd
// is opened before the child can be reaped, so it always names this child. In the child only
// async-signal-safe calls may follow.
ErrorOr<Forked> fork_child(bool open_pidfd);

// Waits for a child made by `fork_child` (flags: 0 or WNOHANG; nullopt when WNOHANG and it
// still runs). Only exits count. A pid that is not a waitable child is ECHILD, as waitpid.
ErrorOr<std::optional<sys::WaitResult>> wait(pid_t pid, int flags = 0);

// The caller will never wait for `pid`: its status is dropped when it exits.
void forget(pid_t pid);

// Waits up to `timeout_ms` until this process has no children left (shutdown: everything was
// signalled); wakes on each reap instead of polling. True when none is left.
bool wait_for_no_children(int64_t timeout_ms);

// Children reaped that nobody waited for (orphans, forgotten children) since the start.
uint64_t orphans_reaped();

}  // namespace corral::reaper
