// How corral-shim starts its container: one `crun run --detach`, with the container's stdio
// (pipes, or a pty crun creates and hands over on a console socket).
#pragma once

#include <sys/types.h>

#include "base/error.h"
#include "base/fd.h"
#include "runtime/runtime.h"
#include "runtime/shim_client.h"

namespace corral::runtime {

// The container's end of its stdio (not tty), given to crun and through it to the container.
// -1: /dev/null. `errors` is the shim's read end of the pipe behind `stderr_fd`: crun writes
// its own failure there, and launch_container reads it back as the error message.
struct LaunchStdio {
    int stdin_fd = -1;
    int stdout_fd = -1;
    int stderr_fd = -1;
    int errors = -1;
};

struct LaunchedContainer {
    pid_t pid = 0;
    UniqueFd pty_master;  // tty only
};

// Runs `crun run --detach` in the shim's working directory (the exec-root, where crun writes
// container.pid) and waits for crun, not for the container. The container is then a child of
// the calling subreaper. With options.tty, crun's stderr goes to a private pipe and the
// container gets a pty; otherwise the container gets `stdio`.
ErrorOr<LaunchedContainer> launch_container(const RuntimeOptions& runtime,
                                            const ShimOptions& options, const LaunchStdio& stdio);

}  // namespace corral::runtime
