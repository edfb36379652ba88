#include "init/console.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <string>

#include "base/log.h"
#include "base/process.h"
#include "base/sys.h"

namespace corral::init {

void attach_console() {
    auto console = sys::open("/dev/console", O_RDWR | O_NOCTTY);
    if (!console)
        return;
    for (int fd = 0; fd <= 2; ++fd)
        ::dup2(console->get(), fd);
    log::set_fd(STDERR_FILENO);
}

void console_line(std::string_view message) {
    // One writev, so lines of concurrent writers do not interleave.
    static constexpr char kPrefix[] = "corral: ";
    iovec parts[] = {
        {const_cast<char*>(kPrefix), sizeof(kPrefix) - 1},
        {const_cast<char*>(message.data()), message.size()},
        {const_cast<char*>("\n"), 1},
    };
    while (::writev(STDOUT_FILENO, parts, 3) < 0 && errno == EINTR) {
    }
}

void drain_terminal(int fd, int timeout_ms) {
    int64_t deadline = sys::monotonic_ns() + int64_t(timeout_ms) * 1'000'000;
    int queued = 0;
    while (::ioctl(fd, TIOCOUTQ, &queued) == 0 && queued > 0 && sys::monotonic_ns() < deadline)
        ::usleep(2000);
}

ErrorOr<Child> start_console_shell() {
    SpawnOptions options;
    options.argv = {"/usr/bin/busybox", "cttyhack", "/bin/sh", "-l"};
    options.env = std::vector<std::string>{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root",
                                           "TERM=linux", "PS1=corral# "};
    options.fds = {{0, STDIN_FILENO}, {1, STDOUT_FILENO}, {2, STDERR_FILENO}};
    options.new_session = true;
    options.cwd.assign(1, '/');
    return spawn(options);
}

}  // namespace corral::init
