#include "engine/notifier.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/sys.h"

namespace corral::engine {

ErrorOr<UniqueFd> make_eventfd() {
    int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0)
        return Error::from_errno("eventfd", errno);
    return UniqueFd(fd);
}

void signal_eventfd(int fd) {
    uint64_t one = 1;
    (void)!::write(fd, &one, sizeof(one));
}

void drain_eventfd(int fd) {
    uint64_t value = 0;
    (void)!::read(fd, &value, sizeof(value));
}

Error cancelled_error() {
    return Error(ErrorKind::unavailable, "cancelled");
}

namespace {

ErrorOr<WakeReason> poll_once(int wake_fd, const Cancellation& cancel, int timeout_ms,
                              int extra_fd) {
    pollfd fds[4];
    int count = 0;
    int wake_index = -1, event_index = -1, hangup_index = -1, extra_index = -1;
    if (wake_fd >= 0) {
        wake_index = count;
        fds[count++] = {wake_fd, POLLIN, 0};
    }
    if (cancel.event_fd >= 0) {
        event_index = count;
        fds[count++] = {cancel.event_fd, POLLIN, 0};
    }
    if (cancel.hangup_fd >= 0) {
        hangup_index = count;
        fds[count++] = {cancel.hangup_fd, POLLRDHUP, 0};
    }
    if (extra_fd >= 0) {
        extra_index = count;
        fds[count++] = {extra_fd, POLLIN, 0};
    }
    int ready = ::poll(fds, static_cast<nfds_t>(count), timeout_ms);
    if (ready < 0) {
        if (errno == EINTR)
            return WakeReason::woken;
        return Error::from_errno("poll", errno);
    }
    if (ready == 0)
        return WakeReason::timed_out;
    if (event_index >= 0 && fds[event_index].revents)
        return WakeReason::cancelled;
    if (hangup_index >= 0 && (fds[hangup_index].revents & (POLLRDHUP | POLLHUP | POLLERR)))
        return WakeReason::cancelled;
    if (wake_index >= 0 && fds[wake_index].revents)
        drain_eventfd(wake_fd);
    (void)extra_index;
    return WakeReason::woken;
}

}  // namespace

ErrorOr<WakeReason> sleep_on(int wake_fd, const Cancellation& cancel, int64_t timeout_ns,
                             int extra_fd) {
    int timeout_ms = -1;
    if (timeout_ns >= 0)
        timeout_ms = static_cast<int>(
            std::min<int64_t>((timeout_ns + 999'999) / 1'000'000, 24 * 3600 * 1000));
    return poll_once(wake_fd, cancel, timeout_ms, extra_fd);
}

bool cancelled_now(const Cancellation& cancel) {
    auto result = poll_once(-1, cancel, 0, -1);
    return result && *result == WakeReason::cancelled;
}

Notifier::Registration::Registration(Notifier& notifier, UniqueFd fd)
    : notifier_(notifier), fd_(std::move(fd)) {
    std::lock_guard lock(notifier_.mutex_);
    notifier_.fds_.insert(fd_.get());
}

Notifier::Registration::~Registration() {
    std::lock_guard lock(notifier_.mutex_);
    notifier_.fds_.erase(fd_.get());
}

ErrorOr<std::unique_ptr<Notifier::Registration>> Notifier::register_waiter() {
    auto fd = TRY(make_eventfd());
    return std::make_unique<Registration>(*this, std::move(fd));
}

void Notifier::notify_all() {
    std::lock_guard lock(mutex_);
    for (int fd : fds_)
        signal_eventfd(fd);
}

}  // namespace corral::engine
