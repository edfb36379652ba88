// Receiving a pty master from crun's --console-socket (SCM_RIGHTS).
#pragma once

#include <sys/types.h>
#include "base/error.h"

#include <string>

#include "base/fd.h"

namespace corral::runtime {

// Waits until crun connects to `listen_fd` and sends the pty master, or until the process
// behind `child_pidfd` exits first (then an error: crun failed before creating the console).
ErrorOr<UniqueFd> receive_pty_master(int listen_fd, int child_pidfd);
// Receives one fd passed with SCM_RIGHTS on a connected unix socket.
ErrorOr<UniqueFd> receive_fd(int socket_fd);
// A unique socket path in `dir` for one --console-socket handshake.
std::string console_socket_path(const std::string& dir);

}  // namespace corral::runtime

namespace corral::runtime {

// Unix sockets whose path may exceed sun_path (108 bytes): long paths go through
// /proc/self/fd/<directory fd>/<name>.
ErrorOr<UniqueFd> listen_unix_long(const std::string& path, mode_t mode);
ErrorOr<UniqueFd> connect_unix_long(const std::string& path);

}  // namespace corral::runtime
