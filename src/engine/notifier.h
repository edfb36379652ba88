// Blocking without polling: a waiter registers an eventfd, checks its condition, then sleeps in
// poll() on that eventfd and on the caller's Cancellation fds. Whoever changes state calls
// notify_all(), which makes every registered eventfd readable.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <set>

#include "base/error.h"
#include "base/fd.h"
#include "engine/engine.h"

namespace corral::engine {

ErrorOr<UniqueFd> make_eventfd();
// Makes an eventfd readable.
void signal_eventfd(int fd);
// Empties an eventfd.
void drain_eventfd(int fd);

enum class WakeReason { woken, cancelled, timed_out };
// Sleeps until `wake_fd` is readable, `cancel` fires, or `timeout_ns` (-1 = none) passes.
// `extra_fd` (if >= 0) is also polled for readability and counts as woken.
ErrorOr<WakeReason> sleep_on(int wake_fd, const Cancellation& cancel, int64_t timeout_ns,
                             int extra_fd = -1);
// True when the cancellation fired already (without sleeping).
bool cancelled_now(const Cancellation& cancel);

Error cancelled_error();

class Notifier {
  public:
    class Registration {
      public:
        Registration(Notifier& notifier, UniqueFd fd);
        Registration(const Registration&) = delete;
        Registration& operator=(const Registration&) = delete;
        ~Registration();
        int fd() const { return fd_.get(); }

      private:
        Notifier& notifier_;
        UniqueFd fd_;
    };

    ErrorOr<std::unique_ptr<Registration>> register_waiter();
    void notify_all();

  private:
    friend class Registration;
    std::mutex mutex_;
    std::set<int> fds_;
};

}  // namespace corral::engine
