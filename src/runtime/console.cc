#include "runtime/console.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "base/fs.h"
#include "base/sys.h"

namespace corral::runtime {

ErrorOr<UniqueFd> receive_fd(int socket_fd) {
    char data[256];
    auto message = TRY(sys::receive_with_fd(socket_fd, data, "console socket"));
    if (!message.fd)
        return Error::internal("console socket: no file descriptor received");
    return std::move(message.fd);
}

ErrorOr<UniqueFd> receive_pty_master(int listen_fd, int child_pidfd) {
    for (;;) {
        pollfd fds[2] = {{listen_fd, POLLIN, 0}, {child_pidfd, POLLIN, 0}};
        int count = child_pidfd >= 0 ? 2 : 1;
        int ready = ::poll(fds, count, -1);
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            return Error::from_errno("poll", "console socket", errno);
        }
        if (fds[0].revents & POLLIN) {
            UniqueFd connection = TRY(sys::accept(listen_fd));
            return receive_fd(connection.get());
        }
        if (count == 2 && fds[1].revents)
            return Error::internal("the runtime exited before sending the console");
    }
}

std::string console_socket_path(const std::string& dir) {
    static std::atomic<unsigned> counter{0};
    return fs::join(dir, "console-" + std::to_string(::getpid()) + "-" +
                             std::to_string(counter.fetch_add(1)) + ".sock");
}

}  // namespace corral::runtime

namespace corral::runtime {

namespace {

constexpr size_t short_path_limit = 100;

template <typename Call>
ErrorOr<UniqueFd> with_short_path(const std::string& path, Call call) {
    if (path.size() < short_path_limit)
        return call(path);
    UniqueFd directory = TRY(sys::open(fs::dirname(path), O_PATH | O_DIRECTORY));
    return call("/proc/self/fd/" + std::to_string(directory.get()) + "/" + fs::basename(path));
}

}  // namespace

ErrorOr<UniqueFd> listen_unix_long(const std::string& path, mode_t mode) {
    return with_short_path(
        path, [&](const std::string& usable) { return sys::unix_listen(usable, mode); });
}

ErrorOr<UniqueFd> connect_unix_long(const std::string& path) {
    return with_short_path(path,
                           [&](const std::string& usable) { return sys::unix_connect(usable); });
}

}  // namespace corral::runtime
