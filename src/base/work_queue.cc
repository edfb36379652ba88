// A thread running posted actions in order (base/work_queue.h).
#include "base/work_queue.h"

#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "base/log.h"

namespace corral {

void WorkQueue::start() {
    std::lock_guard lock(mutex_);
    if (thread_.joinable() || stopping_)
        return;
    thread_ = std::thread([this] { loop(); });
}

bool WorkQueue::post(std::function<void()> action) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_)
            return false;
        queue_.push_back(std::move(action));
    }
    wake_.notify_one();
    return true;
}

void WorkQueue::stop() {
    std::thread thread;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        queue_.clear();
        thread = std::move(thread_);
        if (priority_ == Priority::idle && thread_id_ > 0) {
            sched_param parameters{};
            (void)::sched_setscheduler(thread_id_, SCHED_OTHER, &parameters);
        }
    }
    wake_.notify_all();
    if (thread.joinable())
        thread.join();
}

void WorkQueue::loop() {
    {
        std::lock_guard lock(mutex_);
        thread_id_ = ::gettid();
    }
    if (priority_ == Priority::idle) {
        // This thread only (a thread is a task of its own); threads it starts inherit it.
        sched_param parameters{};
        if (::sched_setscheduler(0, SCHED_IDLE, &parameters) < 0)
            log::debug(std::string("work queue: SCHED_IDLE: ") + std::strerror(errno));
    }
    for (;;) {
        std::function<void()> action;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (stopping_)
                return;
            action = std::move(queue_.front());
            queue_.pop_front();
        }
        action();
    }
}

}  // namespace corral
