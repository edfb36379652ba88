// A thread that runs posted actions one after another, in the order they were posted.
//
// The engine keeps two: its worker (restarts, auto-removals: work a client may be waiting for)
// and its housekeeping (the clean-up after a removal, network namespaces made ahead: work
// nobody waits for). Housekeeping runs at SCHED_IDLE: it takes a CPU only when no other task
// wants it, so on a busy machine it never delays a container start or a client's answer; under
// full load it still makes progress (the kernel gives SCHED_IDLE tasks a minimal share).
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace corral {

class WorkQueue {
  public:
    enum class Priority { normal, idle };

    explicit WorkQueue(Priority priority) : priority_(priority) {}
    ~WorkQueue() { stop(); }
    WorkQueue(const WorkQueue&) = delete;
    WorkQueue& operator=(const WorkQueue&) = delete;

    // Starts the thread; actions posted before run from then on.
    void start();
    // false once stopped: the action is dropped.
    bool post(std::function<void()> action);
    // Lets the running action finish, drops those not begun, joins the thread. An idle queue's
    // thread finishes its action at normal priority: a shutdown on a busy machine does not
    // wait behind every other task.
    void stop();

  private:
    void loop();

    Priority priority_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> queue_;
    bool stopping_ = false;
    pid_t thread_id_ = 0;  // the thread's kernel id once it runs
    std::thread thread_;
};

}  // namespace corral
