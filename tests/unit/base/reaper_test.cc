#include "base/reaper.h"

#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "base/process.h"
#include "base/sys.h"

namespace corral {
namespace {

// A command with the default options.
ErrorOr<Child> start(std::vector<std::string> argv, std::vector<std::pair<int, int>> fds = {}) {
    SpawnOptions options;
    options.argv = std::move(argv);
    options.fds = std::move(fds);
    return spawn(options);
}

bool process_exists(pid_t pid) {
    return ::access(("/proc/" + std::to_string(pid)).c_str(), F_OK) == 0;
}

// Polls until `pid` is gone from /proc (reaped, not merely a zombie) or `seconds` pass.
bool gone_within(pid_t pid, int seconds) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
        if (!process_exists(pid))
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return !process_exists(pid);
}

// reaper::wait with WNOHANG until the child's status comes or `seconds` pass.
std::optional<sys::WaitResult> wait_within(pid_t pid, int seconds) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
        auto result = reaper::wait(pid, WNOHANG);
        if (!result)
            return std::nullopt;
        if (*result)
            return *result;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return std::nullopt;
}

class Reaper : public ::testing::Test {
  protected:
    void SetUp() override {
        // Orphans of our children come to us, as they come to PID 1.
        ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
        auto enabled = reaper::enable();
        ASSERT_TRUE(enabled) << enabled.error().message();
        ASSERT_TRUE(reaper::enabled());
    }
    void TearDown() override {
        reaper::disable();
        ::prctl(PR_SET_CHILD_SUBREAPER, 0);
        EXPECT_FALSE(reaper::enabled());
    }
};

TEST_F(Reaper, RegisteredChildGetsItsOwnStatus) {
    auto child = start({"sh", "-c", "exit 7"});
    ASSERT_TRUE(child) << child.error().message();
    auto code = child->wait();
    ASSERT_TRUE(code) << code.error().message();
    EXPECT_EQ(*code, 7);
    // Waited once: the pid is not ours any more.
    EXPECT_FALSE(reaper::wait(child->pid(), 0));
}

TEST_F(Reaper, ChildThatExitsAtOnceIsNotTakenForAnOrphan) {
    // The child exits before the parent's fork returns, as often as the scheduler allows: the
    // registry lock held across the fork keeps the reaper from taking it for an orphan.
    std::vector<std::thread> threads;
    std::atomic<int> wrong{0};
    std::atomic<int> errors{0};
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 100; ++i) {
                int code = (t * 100 + i) % 250;
                auto forked = reaper::fork_child(false);
                if (!forked) {
                    ++errors;
                    continue;
                }
                if (forked->pid == 0)
                    ::_exit(code);
                // Polled with a deadline: a status lost to the orphan path fails, not hangs.
                auto result = wait_within(forked->pid, 10);
                if (!result)
                    ++errors;
                else if (result->exit_code() != code)
                    ++wrong;
            }
        });
    }
    for (auto& thread : threads)
        thread.join();
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(wrong.load(), 0);
}

TEST_F(Reaper, OwnStatusesWhileOrphansAreReapedConcurrently) {
    uint64_t orphans_before = reaper::orphans_reaped();
    std::atomic<bool> done{false};
    std::vector<pid_t> orphans;
    // Each shell leaves a background child behind and exits; the child is re-parented to us.
    // The child lives until its parent is gone, so it is always an orphan when it ends (a child
    // ending first would stay the shell's own, and not count as an orphan of ours).
    std::thread orphan_maker([&] {
        for (int i = 0; i < 20; ++i) {
            auto made =
                run({"sh", "-c",
                     "p=$$; (while kill -0 $p 2>/dev/null; do sleep 0.01; done) & echo $!"});
            if (made && made->exit_code == 0)
                orphans.push_back(std::atoi(made->out.c_str()));
        }
        done = true;
    });
    std::vector<std::thread> waiters;
    std::atomic<int> wrong{0};
    std::atomic<int> errors{0};
    for (int t = 0; t < 3; ++t) {
        waiters.emplace_back([&, t] {
            for (int i = 0; i < 15; ++i) {
                int code = t * 20 + i + 1;
                auto child = start({"sh", "-c", "exit " + std::to_string(code)});
                if (!child) {
                    ++errors;
                    continue;
                }
                auto result = child->wait();
                if (!result)
                    ++errors;
                else if (*result != code)
                    ++wrong;
            }
        });
    }
    for (auto& waiter : waiters)
        waiter.join();
    orphan_maker.join();
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(wrong.load(), 0);
    ASSERT_EQ(orphans.size(), 20u);
    for (pid_t orphan : orphans)
        EXPECT_TRUE(gone_within(orphan, 10)) << "orphan " << orphan << " was not reaped";
    // The count goes up just after the pid is gone: give the reaper's thread a moment.
    for (int i = 0; i < 500 && reaper::orphans_reaped() < orphans_before + 20; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_GE(reaper::orphans_reaped(), orphans_before + 20);
}

TEST_F(Reaper, UnregisteredChildIsReaped) {
    uint64_t before = reaper::orphans_reaped();
    pid_t pid = ::fork();  // not through fork_child: nobody will wait for it
    ASSERT_GE(pid, 0);
    if (pid == 0)
        ::_exit(0);
    EXPECT_TRUE(gone_within(pid, 10)) << "unregistered child " << pid << " stayed a zombie";
    EXPECT_GT(reaper::orphans_reaped(), before);
}

TEST_F(Reaper, ForgottenChildIsReapedAndDropped) {
    pid_t pid;
    {
        auto child = start({"sh", "-c", "exit 4"});
        ASSERT_TRUE(child) << child.error().message();
        pid = child->pid();
    }  // destroyed without a wait
    EXPECT_TRUE(gone_within(pid, 10));
    EXPECT_FALSE(reaper::wait(pid, WNOHANG)) << "a forgotten child's status was kept";
}

TEST_F(Reaper, NoHangWaitSeesRunningThenExited) {
    auto input = sys::pipe();
    ASSERT_TRUE(input);
    // cat exits when its stdin closes: we decide when.
    auto child = start({"cat"}, {{0, (*input)[0].get()}});
    ASSERT_TRUE(child) << child.error().message();
    (*input)[0].reset();
    auto running = child->try_wait();
    ASSERT_TRUE(running) << running.error().message();
    EXPECT_FALSE(running->has_value());
    EXPECT_FALSE(reaper::wait_for_no_children(100)) << "cat still runs";
    (*input)[1].reset();
    std::optional<int> code;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!code && std::chrono::steady_clock::now() < deadline) {
        auto result = child->try_wait();
        ASSERT_TRUE(result) << result.error().message();
        code = *result;
        if (!code)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_TRUE(code.has_value()) << "the exit of cat was never reported";
    EXPECT_EQ(*code, 0);
}

TEST_F(Reaper, PidfdOfAQuickChildStillNamesIt) {
    // The pidfd is opened before the reaper can collect the child, even when it is gone at once.
    for (int i = 0; i < 20; ++i) {
        auto child = start({"true"});
        ASSERT_TRUE(child) << child.error().message();
        EXPECT_GE(child->pidfd(), 0);
        auto code = child->wait();
        ASSERT_TRUE(code);
        EXPECT_EQ(*code, 0);
    }
}

TEST_F(Reaper, NotAChildIsAnError) {
    auto result = reaper::wait(::getpid(), 0);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().errno_value(), ECHILD);
}

TEST_F(Reaper, NoChildrenLeftOnceAllExited) {
    auto child = start({"sh", "-c", "sleep 0.2"});
    ASSERT_TRUE(child);
    child = start({"true"});  // the sleeper is forgotten, and reaped when it ends
    ASSERT_TRUE(child);
    ASSERT_TRUE(child->wait());
    EXPECT_TRUE(reaper::wait_for_no_children(10'000));
}

TEST(ReaperDisabled, PlainWaitpidStillWorks) {
    ASSERT_FALSE(reaper::enabled());
    auto result = run({"sh", "-c", "exit 9"});
    ASSERT_TRUE(result) << result.error().message();
    EXPECT_EQ(result->exit_code, 9);
}

}  // namespace
}  // namespace corral
