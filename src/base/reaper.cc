#include "base/reaper.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "base/log.h"

namespace corral::reaper {

namespace {

struct Registered {
    std::optional<int> status;  // set once reaped, until `wait` takes it
    bool forgotten = false;
};

struct Registry {
    std::mutex mutex;
    // Signalled on every reap and every fork (the reaping thread sleeps on it while this
    // process has no children at all).
    std::condition_variable changed;
    std::unordered_map<pid_t, Registered> children;
    std::thread thread;
    bool running = false;
    bool stopping = false;
    uint64_t forks = 0;
    uint64_t orphans = 0;
};

// Never destroyed: the reaping thread may outlive static destruction at exit.
Registry& registry() {
    static Registry* instance = new Registry();
    return *instance;
}

std::string describe(int status) {
    sys::WaitResult result{0, status};
    return "exit code " + std::to_string(result.exit_code());
}

void reap_loop() {
    Registry& r = registry();
    for (;;) {
        uint64_t forks_seen;
        {
            std::lock_guard lock(r.mutex);
            if (r.stopping)
                return;
            forks_seen = r.forks;
        }
        // Look without reaping: the child stays a zombie (its pid and a pidfd opened by
        // fork_child stay valid) until the registry lock is ours, which fork_child holds from
        // the fork until the child is registered.
        siginfo_t info{};
        if (::waitid(P_ALL, 0, &info, WEXITED | WNOWAIT) < 0) {
            if (errno == EINTR)
                continue;
            std::unique_lock lock(r.mutex);
            if (errno != ECHILD) {
                log::debug("reaper: waitid: " + std::string(std::strerror(errno)));
                r.changed.wait_for(lock, std::chrono::seconds(1));
                continue;
            }
            // No children at all, so no descendants that could become orphans either: only
            // a fork of ours can give us a child again.
            r.changed.wait(lock, [&] { return r.stopping || r.forks != forks_seen; });
            continue;
        }
        pid_t pid = info.si_pid;
        std::lock_guard lock(r.mutex);
        int status = 0;
        pid_t reaped;
        do {
            reaped = ::waitpid(pid, &status, WNOHANG);
        } while (reaped < 0 && errno == EINTR);
        if (reaped != pid)
            continue;
        auto found = r.children.find(pid);
        if (found == r.children.end() || found->second.forgotten) {
            if (found != r.children.end())
                r.children.erase(found);
            ++r.orphans;
            log::debug("reaper: reaped process " + std::to_string(pid) +
                       " that nobody waits for (" + describe(status) + ")");
        } else {
            found->second.status = status;
        }
        r.changed.notify_all();
    }
}

}  // namespace

ErrorOr<void> enable() {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    if (r.running)
        return {};
    // The thread starts with every signal blocked: a signal meant for PID 1's signalfd must
    // never be taken (and, for PID 1, dropped) by it.
    sigset_t all, previous;
    sigfillset(&all);
    if (int error = ::pthread_sigmask(SIG_SETMASK, &all, &previous); error != 0)
        return Error::from_errno("pthread_sigmask", "reaper", error);
    r.stopping = false;
    try {
        r.thread = std::thread(reap_loop);
    } catch (const std::system_error& error) {
        ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
        return Error::internal(std::string("cannot start the reaper thread: ") + error.what());
    }
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    r.running = true;
    return {};
}

void disable() {
    Registry& r = registry();
    {
        std::lock_guard lock(r.mutex);
        if (!r.running)
            return;
        r.stopping = true;
        r.running = false;
    }
    r.changed.notify_all();
    // The thread may be blocked in waitid: a child that exits at once wakes it. Unregistered,
    // it is reaped as an orphan.
    pid_t waker = ::fork();
    if (waker == 0)
        ::_exit(0);
    r.thread.join();
    if (waker > 0)
        (void)::waitpid(waker, nullptr, 0);  // ECHILD when the thread reaped it first
}

bool enabled() {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    return r.running;
}

ErrorOr<Forked> fork_child(bool open_pidfd) {
    Registry& r = registry();
    std::unique_lock lock(r.mutex);
    pid_t pid = ::fork();
    if (pid < 0)
        return Error::from_errno("fork", errno);
    if (pid == 0) {
        // The child's copy of the mutex is never used again (exec or _exit follows).
        (void)lock.release();
        return Forked{};
    }
    Forked forked;
    forked.pid = pid;
    if (open_pidfd) {
        auto pidfd = sys::pidfd_open(pid);
        if (pidfd)
            forked.pidfd = std::move(*pidfd);
    }
    if (r.running) {
        r.children[pid] = Registered{};
        ++r.forks;
        r.changed.notify_all();
    }
    return forked;
}

ErrorOr<std::optional<sys::WaitResult>> wait(pid_t pid, int flags) {
    Registry& r = registry();
    std::unique_lock lock(r.mutex);
    auto found = r.children.find(pid);
    if (found == r.children.end()) {
        if (r.running)
            return Error::from_errno("wait for process", std::to_string(pid), ECHILD);
        lock.unlock();
        for (;;) {
            auto result = TRY(sys::waitpid(pid, flags));
            if (!result || result->exited())
                return result;
        }
    }
    Registered& child = found->second;
    if (!child.status) {
        if (flags & WNOHANG)
            return std::optional<sys::WaitResult>();
        if (!r.running) {
            // Registered while the reaper ran, which was stopped since: wait directly.
            lock.unlock();
            auto result = sys::waitpid(pid, 0);
            lock.lock();
            r.children.erase(pid);
            return result;
        }
        r.changed.wait(lock, [&] { return child.status.has_value(); });
    }
    sys::WaitResult result{pid, *child.status};
    r.children.erase(pid);
    return std::optional<sys::WaitResult>(result);
}

void forget(pid_t pid) {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    auto found = r.children.find(pid);
    if (found == r.children.end())
        return;
    if (found->second.status)
        r.children.erase(found);
    else
        found->second.forgotten = true;
}

bool wait_for_no_children(int64_t timeout_ms) {
    Registry& r = registry();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    std::unique_lock lock(r.mutex);
    for (;;) {
        siginfo_t info{};
        if (!r.running) {
            // Nobody else reaps: collect what exited (statuses nobody asked for).
            while (::waitpid(-1, nullptr, WNOHANG) > 0) {
            }
        }
        if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) < 0 && errno == ECHILD)
            return true;
        if (std::chrono::steady_clock::now() >= deadline)
            return false;
        auto next = r.running ? deadline
                              : std::min(deadline, std::chrono::steady_clock::now() +
                                                       std::chrono::milliseconds(50));
        r.changed.wait_until(lock, next);
    }
}

uint64_t orphans_reaped() {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    return r.orphans;
}

}  // namespace corral::reaper
