#include "api/body_pipe.h"

#include <signal.h>
#include <sys/socket.h>

#include <atomic>
#include <optional>
#include <thread>

#include "base/sys.h"

namespace corral::api {

ErrorOr<void> consume_body_through_pipe(Exchange& exchange,
                                        const std::function<ErrorOr<void>(int read_fd)>& consume) {
    auto ends = TRY(sys::pipe());
    UniqueFd read_end = std::move(ends[0]);
    UniqueFd write_end = std::move(ends[1]);
    std::optional<Error> body_error;
    std::atomic<bool> feeding = true;
    std::thread feeder([&] {
        // A consumer that stops early closes the pipe: see EPIPE here, not a process signal.
        sigset_t pipe_signal;
        sigemptyset(&pipe_signal);
        sigaddset(&pipe_signal, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
        std::vector<char> buffer(64 << 10);
        while (true) {
            auto count = exchange.read_body(buffer);
            if (count.is_error()) {
                body_error = count.release_error();
                break;
            }
            if (count.value() == 0)
                break;
            if (sys::write_all(write_end.get(), std::string_view(buffer.data(), count.value()))
                    .is_error())
                break;
        }
        write_end.reset();
        feeding = false;
    });
    auto result = consume(read_end.get());
    read_end.reset();
    if (feeding && exchange.socket_fd() >= 0) {
        // The consumer is done but the client still sends: stop reading the body.
        ::shutdown(exchange.socket_fd(), SHUT_RD);
    }
    feeder.join();
    if (body_error && body_error->kind() != ErrorKind::unavailable && result.is_error())
        return std::move(*body_error);
    return result;
}

}  // namespace corral::api
