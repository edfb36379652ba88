#include "base/sys.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <cstring>

namespace corral::sys {

namespace {

// Runs `call` until it does not fail with EINTR.
template <typename Call>
auto retry(Call call) {
    for (;;) {
        auto result = call();
        if (result != -1 || errno != EINTR)
            return result;
    }
}

}  // namespace

ErrorOr<UniqueFd> open(const std::string& path, int flags, mode_t mode) {
    int fd = retry([&] { return ::open(path.c_str(), flags | O_CLOEXEC, mode); });
    if (fd < 0)
        return Error::from_errno("open", path, errno);
    return UniqueFd(fd);
}

ErrorOr<UniqueFd> openat(int dir_fd, const std::string& path, int flags, mode_t mode) {
    int fd = retry([&] { return ::openat(dir_fd, path.c_str(), flags | O_CLOEXEC, mode); });
    if (fd < 0)
        return Error::from_errno("openat", path, errno);
    return UniqueFd(fd);
}

ErrorOr<size_t> read(int fd, std::span<char> buffer) {
    ssize_t n = retry([&] { return ::read(fd, buffer.data(), buffer.size()); });
    if (n < 0)
        return Error::from_errno("read", errno);
    return static_cast<size_t>(n);
}

ErrorOr<void> write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = retry([&] { return ::write(fd, data.data(), data.size()); });
        if (n < 0)
            return Error::from_errno("write", errno);
        data.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

ErrorOr<void> fsync(int fd, std::string_view what) {
    if (retry([&] { return ::fsync(fd); }) < 0)
        return Error::from_errno("fsync", what, errno);
    return {};
}

ErrorOr<void> rename(const std::string& from, const std::string& to) {
    if (::rename(from.c_str(), to.c_str()) < 0)
        return Error::from_errno("rename", from + "` to `" + to, errno);
    return {};
}

ErrorOr<void> unlink(const std::string& path) {
    if (::unlink(path.c_str()) < 0)
        return Error::from_errno("unlink", path, errno);
    return {};
}

ErrorOr<void> rmdir(const std::string& path) {
    if (::rmdir(path.c_str()) < 0)
        return Error::from_errno("rmdir", path, errno);
    return {};
}

ErrorOr<void> symlink(const std::string& target, const std::string& link_path) {
    if (::symlink(target.c_str(), link_path.c_str()) < 0)
        return Error::from_errno("symlink", link_path, errno);
    return {};
}

ErrorOr<std::string> readlink(const std::string& path) {
    std::string buffer(256, '\0');
    for (;;) {
        ssize_t n = ::readlink(path.c_str(), buffer.data(), buffer.size());
        if (n < 0)
            return Error::from_errno("readlink", path, errno);
        if (static_cast<size_t>(n) < buffer.size()) {
            buffer.resize(static_cast<size_t>(n));
            return buffer;
        }
        buffer.resize(buffer.size() * 2);
    }
}

ErrorOr<void> chmod(const std::string& path, mode_t mode) {
    if (::chmod(path.c_str(), mode) < 0)
        return Error::from_errno("chmod", path, errno);
    return {};
}

ErrorOr<void> chown(const std::string& path, uid_t uid, gid_t gid) {
    if (::chown(path.c_str(), uid, gid) < 0)
        return Error::from_errno("chown", path, errno);
    return {};
}

ErrorOr<void> mkdir(const std::string& path, mode_t mode, bool exist_ok) {
    if (::mkdir(path.c_str(), mode) == 0)
        return {};
    int saved = errno;
    if (saved == EEXIST && exist_ok) {
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
            return {};
    }
    return Error::from_errno("mkdir", path, saved);
}

ErrorOr<struct stat> stat(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) < 0)
        return Error::from_errno("stat", path, errno);
    return st;
}

ErrorOr<struct stat> lstat(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) < 0)
        return Error::from_errno("lstat", path, errno);
    return st;
}

ErrorOr<std::optional<struct stat>> stat_if_exists(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0)
        return std::optional<struct stat>(st);
    if (errno == ENOENT || errno == ENOTDIR)
        return std::optional<struct stat>();
    return Error::from_errno("stat", path, errno);
}

ErrorOr<void> mount(const std::string& source, const std::string& target, const std::string& type,
                    unsigned long flags, const std::string& data) {
    if (::mount(source.empty() ? nullptr : source.c_str(), target.c_str(),
                type.empty() ? nullptr : type.c_str(), flags,
                data.empty() ? nullptr : data.c_str()) < 0)
        return Error::from_errno("mount", target, errno);
    return {};
}

ErrorOr<void> umount(const std::string& target, int flags) {
    if (retry([&] { return ::umount2(target.c_str(), flags); }) < 0)
        return Error::from_errno("umount", target, errno);
    return {};
}

ErrorOr<size_t> send_with_fd(int socket_fd, std::string_view data, int fd, std::string_view what) {
    iovec io{const_cast<char*>(data.data()), data.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr message{};
    message.msg_iov = &io;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof(control);
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(header), &fd, sizeof(int));
    ssize_t n = retry([&] { return ::sendmsg(socket_fd, &message, MSG_NOSIGNAL); });
    if (n < 0)
        return Error::from_errno("sendmsg", std::string(what), errno);
    return static_cast<size_t>(n);
}

ErrorOr<ReceivedMessage> receive_with_fd(int socket_fd, std::span<char> buffer,
                                         std::string_view what) {
    iovec io{buffer.data(), buffer.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
    msghdr message{};
    message.msg_iov = &io;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof(control);
    ssize_t n = retry([&] { return ::recvmsg(socket_fd, &message, MSG_CMSG_CLOEXEC); });
    if (n < 0)
        return Error::from_errno("recvmsg", std::string(what), errno);
    ReceivedMessage received;
    received.size = static_cast<size_t>(n);
    for (cmsghdr* header = CMSG_FIRSTHDR(&message); header;
         header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS)
            continue;
        size_t count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; ++i) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(header) + i * sizeof(int), sizeof(int));
            if (!received.fd)
                received.fd.reset(fd);
            else
                ::close(fd);
        }
    }
    received.truncated = (message.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0;
    return received;
}

ErrorOr<std::array<UniqueFd, 2>> pipe(int flags) {
    int fds[2];
    if (::pipe2(fds, flags | O_CLOEXEC) < 0)
        return Error::from_errno("pipe2", errno);
    return std::array<UniqueFd, 2>{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

ErrorOr<UniqueFd> pidfd_open(pid_t pid) {
    int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (fd < 0)
        return Error::from_errno("pidfd_open", std::to_string(pid), errno);
    return UniqueFd(fd);
}

ErrorOr<UniqueFd> duplicate(int fd) {
    int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (copy < 0)
        return Error::from_errno("fcntl F_DUPFD_CLOEXEC", errno);
    return UniqueFd(copy);
}

ErrorOr<void> kill(pid_t pid, int signal) {
    if (::kill(pid, signal) < 0)
        return Error::from_errno("kill", std::to_string(pid), errno);
    return {};
}

ErrorOr<void> pidfd_send_signal(int pidfd, int signal) {
    if (::syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0) < 0)
        return Error::from_errno("pidfd_send_signal", errno);
    return {};
}

bool WaitResult::exited() const {
    return WIFEXITED(status) || WIFSIGNALED(status);
}

int WaitResult::exit_code() const {
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -1;
}

ErrorOr<std::optional<WaitResult>> waitpid(pid_t pid, int flags) {
    int status = 0;
    pid_t result = retry([&] { return ::waitpid(pid, &status, flags); });
    if (result < 0)
        return Error::from_errno("waitpid", std::to_string(pid), errno);
    if (result == 0)
        return std::optional<WaitResult>();
    return std::optional<WaitResult>(WaitResult{result, status});
}

namespace {

ErrorOr<sockaddr_un> unix_address(const std::string& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof(address.sun_path))
        return Error::invalid("socket path too long: " + path);
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    return address;
}

}  // namespace

ErrorOr<UniqueFd> unix_listen(const std::string& path, mode_t mode, int backlog) {
    sockaddr_un address = TRY(unix_address(path));
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd)
        return Error::from_errno("socket", path, errno);
    ::unlink(path.c_str());
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) < 0)
        return Error::from_errno("bind", path, errno);
    TRY(chmod(path, mode));
    if (::listen(fd.get(), backlog) < 0)
        return Error::from_errno("listen", path, errno);
    return fd;
}

ErrorOr<UniqueFd> unix_connect(const std::string& path) {
    sockaddr_un address = TRY(unix_address(path));
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd)
        return Error::from_errno("socket", path, errno);
    if (retry([&] {
            return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address));
        }) < 0)
        return Error::from_errno("connect", path, errno);
    return fd;
}

ErrorOr<UniqueFd> accept(int listen_fd, int flags) {
    int fd = retry([&] { return ::accept4(listen_fd, nullptr, nullptr, flags); });
    if (fd < 0)
        return Error::from_errno("accept", errno);
    return UniqueFd(fd);
}

int64_t monotonic_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

int64_t realtime_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace corral::sys
