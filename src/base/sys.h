// sys:: — thin wrappers over system calls. Each retries EINTR, opens with O_CLOEXEC, and names
// the call and the path in its error.
#pragma once

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/fd.h"

namespace corral::sys {

ErrorOr<UniqueFd> open(const std::string& path, int flags, mode_t mode = 0);
ErrorOr<UniqueFd> openat(int dir_fd, const std::string& path, int flags, mode_t mode = 0);

// Reads up to buffer.size() bytes; returns 0 at end of file.
ErrorOr<size_t> read(int fd, std::span<char> buffer);
// Writes all of data, looping over short writes.
ErrorOr<void> write_all(int fd, std::string_view data);

ErrorOr<void> fsync(int fd, std::string_view what = {});
ErrorOr<void> rename(const std::string& from, const std::string& to);
ErrorOr<void> unlink(const std::string& path);
ErrorOr<void> rmdir(const std::string& path);
ErrorOr<void> symlink(const std::string& target, const std::string& link_path);
ErrorOr<std::string> readlink(const std::string& path);
ErrorOr<void> chmod(const std::string& path, mode_t mode);
ErrorOr<void> chown(const std::string& path, uid_t uid, gid_t gid);

// mkdir; an existing directory is not an error when `exist_ok`.
ErrorOr<void> mkdir(const std::string& path, mode_t mode = 0755, bool exist_ok = true);
ErrorOr<struct stat> stat(const std::string& path);
ErrorOr<struct stat> lstat(const std::string& path);
// stat that reports "absent" as nullopt instead of an error.
ErrorOr<std::optional<struct stat>> stat_if_exists(const std::string& path);

ErrorOr<void> mount(const std::string& source, const std::string& target, const std::string& type,
                    unsigned long flags, const std::string& data = {});
ErrorOr<void> umount(const std::string& target, int flags = 0);

ErrorOr<std::array<UniqueFd, 2>> pipe(int flags = 0);

// One message on a unix socket with a file descriptor attached (SCM_RIGHTS). `what` names the
// socket in errors. Sending does not raise SIGPIPE; it returns the bytes sent.
ErrorOr<size_t> send_with_fd(int socket_fd, std::string_view data, int fd, std::string_view what);
struct ReceivedMessage {
    size_t size = 0;         // bytes of data; 0 at end of file
    UniqueFd fd;             // the first descriptor passed (O_CLOEXEC); any others are closed
    bool truncated = false;  // the data or the descriptors did not fit
};
ErrorOr<ReceivedMessage> receive_with_fd(int socket_fd, std::span<char> buffer,
                                         std::string_view what);
ErrorOr<UniqueFd> pidfd_open(pid_t pid);
// A second descriptor of the same open file (F_DUPFD_CLOEXEC).
ErrorOr<UniqueFd> duplicate(int fd);
ErrorOr<void> kill(pid_t pid, int signal);
ErrorOr<void> pidfd_send_signal(int pidfd, int signal);

struct WaitResult {
    pid_t pid = 0;
    int status = 0;  // as from waitpid
    bool exited() const;
    // Exit code, or 128 + signal for a killed process (as a shell reports it).
    int exit_code() const;
};
// waitpid; returns nullopt when WNOHANG and nothing changed.
ErrorOr<std::optional<WaitResult>> waitpid(pid_t pid, int flags = 0);

// Unix sockets.
ErrorOr<UniqueFd> unix_listen(const std::string& path, mode_t mode, int backlog = 128);
ErrorOr<UniqueFd> unix_connect(const std::string& path);
ErrorOr<UniqueFd> accept(int listen_fd, int flags = SOCK_CLOEXEC);

// The monotonic clock in nanoseconds, and wall-clock time in nanoseconds since the epoch.
int64_t monotonic_ns();
int64_t realtime_ns();

}  // namespace corral::sys
