// The shim factory: a corral-shim that forks a shim per request (runtime/shim.h).
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "base/fd.h"
#include "base/sys.h"
#include "runtime/shim.h"

namespace corral::runtime {

namespace {

// Larger than any command line shim_command_line makes (paths are bounded by PATH_MAX).
constexpr size_t request_limit = 64 * 1024;

struct Request {
    std::vector<std::string> arguments;
    UniqueFd ready;
    bool truncated = false;
};

// One request; nullopt at end of file (the engine is gone) or on a broken socket.
std::optional<Request> receive_request(int socket_fd, std::string& buffer) {
    auto message = sys::receive_with_fd(socket_fd, buffer, "shim factory socket");
    if (!message || message->size == 0)
        return std::nullopt;
    Request request;
    request.ready = std::move(message->fd);
    request.truncated = message->truncated;
    std::string_view text(buffer.data(), message->size);
    size_t start = 0;
    for (size_t end; (end = text.find('\0', start)) != std::string_view::npos; start = end + 1)
        request.arguments.emplace_back(text.substr(start, end - start));
    return request;
}

void refuse(int ready_fd, const std::string& message) {
    (void)sys::write_all(ready_fd, "error " + message + "\n");
}

}  // namespace

int run_shim_factory(int socket_fd) {
    // The shims are our children and nothing here waits for them: the kernel reaps them.
    struct sigaction reap {};
    reap.sa_handler = SIG_DFL;
    reap.sa_flags = SA_NOCLDWAIT;
    ::sigaction(SIGCHLD, &reap, nullptr);
    std::string buffer(request_limit, '\0');
    for (;;) {
        auto request = receive_request(socket_fd, buffer);
        if (!request)
            return 0;
        if (!request->ready)
            continue;  // nowhere to answer: the engine sees its pipe end without a word
        if (request->truncated) {
            refuse(request->ready.get(), "shim factory: request too large");
            continue;
        }
        auto parsed = parse_shim_command_line(request->arguments);
        if (!parsed) {
            refuse(request->ready.get(), "corral-shim: " + parsed.error().message());
            continue;
        }
        parsed->ready_fd = request->ready.get();
        pid_t child = ::fork();
        if (child < 0) {
            refuse(request->ready.get(),
                   std::string("shim factory: fork: ") + std::strerror(errno));
            continue;
        }
        if (child == 0) {
            ::close(socket_fd);
            ::_exit(run_forked_shim(*parsed));
        }
        request->ready.reset();
    }
}

}  // namespace corral::runtime
