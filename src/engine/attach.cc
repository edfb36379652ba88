// Streams of a container: logs (json-file, follow), attach over a hijacked connection, resize.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "base/sys.h"
#include "engine/engine_impl.h"
#include "engine/log_file.h"
#include "engine/stream_io.h"

namespace corral::engine {

namespace {

// Stdin read from a client before its container started is kept up to this size.
constexpr size_t max_early_stdin = 1 << 20;

bool running_or_restarting(Status status) {
    return status == Status::running || status == Status::restarting || status == Status::paused;
}

// Reads what the client sent; returns 0 at end of its stdin (it half-closed or closed).
ErrorOr<size_t> read_client(int fd, std::span<char> buffer) {
    auto n = sys::read(fd, buffer);
    if (n.is_error() && (n.error().errno_value() == ECONNRESET))
        return size_t{0};
    return n;
}

}  // namespace

ErrorOr<void> EngineImpl::logs(const std::string& ref, const LogOptions& options,
                               const LogSink& sink, const Cancellation& cancel) {
    auto record = TRY(find(ref));
    std::string path;
    {
        std::lock_guard lock(mutex_);
        if (record->container.host_config.log_config.type == "none")
            return Error(ErrorKind::unsupported,
                         "configured logging driver does not support reading");
        path = record->container.log_path;
    }
    auto registration = TRY(notifier_.register_waiter());
    FollowContext follow;
    follow.state_fd = registration->fd();
    follow.cancel = cancel;
    follow.running = [this, record] {
        std::lock_guard lock(mutex_);
        return !record->removed && !shutting_down_ &&
               running_or_restarting(record->container.state.status);
    };
    return read_logs(path, options, sink, follow);
}

ErrorOr<void> EngineImpl::resize(const std::string& ref, int height, int width) {
    if (height < 0 || width < 0 || height > 65535 || width > 65535)
        return Error::invalid("invalid terminal size");
    auto record = TRY(find(ref));
    std::string id;
    {
        std::lock_guard lock(mutex_);
        id = record->container.id;
        if (record->container.state.status != Status::running)
            return Error::conflict("Container " + id + " is not running");
    }
    auto client = TRY(runtime::ShimClient::connect(exec_root_dir(id), {}));
    return client.resize(static_cast<unsigned short>(height), static_cast<unsigned short>(width));
}

ErrorOr<void> EngineImpl::attach(const std::string& ref, const AttachOptions& options,
                                 Hijack hijack) {
    std::string keys = TRY(parse_detach_keys(options.detach_keys));
    auto record = TRY(find(ref));
    Container container;
    std::shared_ptr<PendingAttach> pending;
    runtime::AttachStreams streams;
    streams.stdout_stream = options.stdout_stream;
    streams.stderr_stream = options.stderr_stream;
    streams.stdin_stream = options.stdin_stream;
    {
        std::lock_guard lock(mutex_);
        container = record->container;
        auto status = container.state.status;
        if (options.stream) {
            if (status == Status::restarting)
                return Error::conflict(
                    "You cannot attach to a restarting container, wait until it is running");
            if (status == Status::exited || status == Status::dead || status == Status::removing)
                return Error::conflict("You cannot attach to a stopped container, start it first");
            if (status == Status::created) {
                if (record->pending_attaches.size() >= options_.max_attachers_per_container)
                    return Error(ErrorKind::too_large, "too many clients attached");
                pending = std::make_shared<PendingAttach>();
                pending->streams = streams;
                record->pending_attaches.push_back(pending);
            }
        }
    }
    auto forget_pending = [&] {
        if (!pending)
            return;
        std::lock_guard lock(mutex_);
        auto& list = record->pending_attaches;
        list.erase(std::remove(list.begin(), list.end(), pending), list.end());
    };
    std::optional<runtime::ShimClient> client;
    if (options.stream && !pending) {
        auto connected = runtime::ShimClient::connect(exec_root_dir(container.id), streams);
        if (connected.is_error())
            return connected.release_error().with_context("attach");
        client.emplace(std::move(connected).release_value());
    }
    int connection = hijack.connection.get();
    if (hijack.send_response) {
        auto sent = hijack.send_response(connection);
        if (sent.is_error()) {
            forget_pending();
            return sent;
        }
    }
    {
        std::lock_guard lock(mutex_);
        emit_locked(*record, "attach");
    }
    bool tty = container.config.tty;
    if (options.logs) {
        LogOptions log_options;
        log_options.stdout_stream = options.stdout_stream;
        log_options.stderr_stream = options.stderr_stream;
        auto replayed = read_logs(
            container.log_path, log_options,
            [&](LogStream stream, std::string_view data) -> ErrorOr<void> {
                return write_to_client(connection, tty ? std::string(data) : frame(stream, data));
            },
            {});
        if (replayed.is_error()) {
            forget_pending();
            return replayed;
        }
    }
    if (!options.stream)
        return {};

    std::string early_stdin = std::move(hijack.buffered_input);
    bool stdin_ended = false;
    if (pending) {
        // Wait for start() to connect us; keep what the client types meanwhile.
        auto registration = notifier_.register_waiter();
        if (registration.is_error()) {
            forget_pending();
            return registration.release_error();
        }
        bool stdin_open = options.stdin_stream;
        for (;;) {
            {
                std::lock_guard lock(mutex_);
                if (pending->connected)
                    break;
                if (shutting_down_ || record->removed) {
                    forget_pending();
                    return {};
                }
            }
            pollfd fds[2] = {{(*registration)->fd(), POLLIN, 0},
                             {connection,
                              static_cast<short>(
                                  stdin_open && early_stdin.size() < max_early_stdin ? POLLIN : 0),
                              0}};
            if (::poll(fds, 2, -1) < 0 && errno != EINTR) {
                forget_pending();
                return Error::from_errno("poll", errno);
            }
            if (fds[0].revents)
                drain_eventfd(fds[0].fd);
            if (fds[1].revents & (POLLHUP | POLLERR)) {
                forget_pending();
                return {};
            }
            if (fds[1].revents & POLLIN) {
                char buffer[16384];
                auto n = read_client(connection, buffer);
                if (n.is_error() || *n == 0)
                    stdin_open = false;
                else
                    early_stdin.append(buffer, *n);
            }
        }
        std::lock_guard lock(mutex_);
        if (!pending->client || pending->client->is_error())
            return {};  // the start failed: the client sees the stream end
        client.emplace(std::move(*pending->client).release_value());
        stdin_ended = options.stdin_stream && !stdin_open;
    }
    AttachOptions effective = options;
    effective.detach_keys = keys;
    return pump_attach(container, effective, *client, connection, std::move(early_stdin),
                       stdin_ended);
}

ErrorOr<void> EngineImpl::pump_attach(const Container& container, const AttachOptions& options,
                                      runtime::ShimClient& client, int connection,
                                      std::string buffered_input, bool stdin_ended) {
    bool tty = container.config.tty;
    DetachMatcher matcher(options.detach_keys);
    bool stdin_open = options.stdin_stream;
    auto forward_stdin = [&](std::string_view data) -> ErrorOr<bool> {
        auto result = matcher.feed(data);
        if (!result.forward.empty())
            TRY(client.write_stdin(result.forward));
        return result.detach;
    };
    auto end_stdin = [&] {
        stdin_open = false;
        auto held = matcher.flush();
        if (!held.empty())
            (void)client.write_stdin(held);
        if (container.config.stdin_once)
            (void)client.close_stdin();
    };
    if (stdin_open && !buffered_input.empty() && TRY(forward_stdin(buffered_input)))
        return {};
    if (stdin_open && stdin_ended)
        end_stdin();
    char buffer[65536];
    for (;;) {
        pollfd fds[2] = {{client.fd(), POLLIN, 0},
                         {connection, static_cast<short>(stdin_open ? POLLIN : 0), 0}};
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return Error::from_errno("poll", errno);
        }
        if (fds[0].revents) {
            auto n = sys::read(client.fd(), buffer);
            if (n.is_error() || *n == 0)
                return {};  // the shim closed: the container ended
            TRY(client.decoder().feed(std::string_view(buffer, *n)));
            while (auto event = client.decoder().next()) {
                using Kind = runtime::ShimEvent::Kind;
                if (event->kind == Kind::exit)
                    return {};
                if (event->kind != Kind::stdout_data && event->kind != Kind::stderr_data)
                    continue;
                LogStream stream = event->kind == Kind::stderr_data ? LogStream::stderr_stream
                                                                    : LogStream::stdout_stream;
                auto written =
                    write_to_client(connection, tty ? event->data : frame(stream, event->data));
                if (written.is_error())
                    return {};  // the client went away: it detached
            }
        }
        if (fds[1].revents & (POLLHUP | POLLERR))
            return {};
        if (fds[1].revents & POLLIN) {
            auto n = read_client(connection, buffer);
            if (n.is_error() || *n == 0) {
                end_stdin();
                continue;
            }
            auto detach = forward_stdin(std::string_view(buffer, *n));
            if (detach.is_error() || *detach)
                return {};
        }
    }
}

}  // namespace corral::engine
