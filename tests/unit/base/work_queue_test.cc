#include "base/work_queue.h"

#include <gtest/gtest.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace corral {
namespace {

using namespace std::chrono_literals;

TEST(WorkQueue, RunsActionsInOrderOnItsOwnThread) {
    WorkQueue queue(WorkQueue::Priority::normal);
    std::mutex mutex;
    std::vector<int> order;
    std::vector<std::thread::id> threads;
    std::promise<void> done;
    for (int i = 0; i < 5; ++i)
        ASSERT_TRUE(queue.post([&, i] {
            std::lock_guard lock(mutex);
            order.push_back(i);
            threads.push_back(std::this_thread::get_id());
        }));
    ASSERT_TRUE(queue.post([&] { done.set_value(); }));
    queue.start();  // what was posted before the start runs from now on
    ASSERT_EQ(done.get_future().wait_for(10s), std::future_status::ready);
    std::lock_guard lock(mutex);
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
    for (const auto& id : threads) {
        EXPECT_EQ(id, threads.front());
        EXPECT_NE(id, std::this_thread::get_id());
    }
}

TEST(WorkQueue, IdlePriorityRunsAtSchedIdleAndNormalDoesNot) {
    for (auto [priority, expected] : {std::pair{WorkQueue::Priority::idle, SCHED_IDLE},
                                      std::pair{WorkQueue::Priority::normal, SCHED_OTHER}}) {
        WorkQueue queue(priority);
        queue.start();
        std::promise<int> policy;
        std::promise<int> inherited;
        ASSERT_TRUE(queue.post([&] {
            policy.set_value(::sched_getscheduler(0));
            // A thread started from an action (the network namespaces are made on one)
            // inherits the policy.
            std::thread([&] { inherited.set_value(::sched_getscheduler(0)); }).join();
        }));
        EXPECT_EQ(policy.get_future().get(), expected);
        EXPECT_EQ(inherited.get_future().get(), expected);
        // The caller's own thread is untouched.
        EXPECT_EQ(::sched_getscheduler(0), SCHED_OTHER);
    }
}

TEST(WorkQueue, StopFinishesTheRunningActionAndDropsTheRest) {
    WorkQueue queue(WorkQueue::Priority::normal);
    queue.start();
    std::promise<void> entered;
    std::atomic<bool> release = false;
    std::atomic<bool> first_finished = false;
    std::atomic<bool> second_ran = false;
    ASSERT_TRUE(queue.post([&] {
        entered.set_value();
        while (!release)
            std::this_thread::sleep_for(1ms);
        first_finished = true;
    }));
    ASSERT_TRUE(queue.post([&] { second_ran = true; }));
    entered.get_future().wait();
    std::thread stopper([&] { queue.stop(); });
    std::this_thread::sleep_for(20ms);
    release = true;
    stopper.join();
    EXPECT_TRUE(first_finished);
    EXPECT_FALSE(second_ran);
    EXPECT_FALSE(queue.post([&] { second_ran = true; }));
    queue.stop();  // again: nothing left to do
    EXPECT_FALSE(second_ran);
}

TEST(WorkQueue, AnIdleQueueFinishesItsActionAtNormalPriorityWhenStopped) {
    WorkQueue queue(WorkQueue::Priority::idle);
    queue.start();
    std::promise<void> entered;
    std::atomic<bool> stopping = false;
    std::atomic<int> before = -1;
    std::atomic<int> after = -1;
    ASSERT_TRUE(queue.post([&] {
        before = ::sched_getscheduler(0);
        entered.set_value();
        while (!stopping)
            std::this_thread::sleep_for(1ms);
        // stop() has begun: wait for it to raise this thread's priority.
        for (int i = 0; i < 2000 && ::sched_getscheduler(0) == SCHED_IDLE; ++i)
            std::this_thread::sleep_for(1ms);
        after = ::sched_getscheduler(0);
    }));
    entered.get_future().wait();
    std::thread stopper([&] { queue.stop(); });
    stopping = true;
    stopper.join();
    EXPECT_EQ(before, SCHED_IDLE);
    EXPECT_EQ(after, SCHED_OTHER);
}

TEST(WorkQueue, StopWithoutStartDropsWhatWasPosted) {
    bool ran = false;
    {
        WorkQueue queue(WorkQueue::Priority::idle);
        ASSERT_TRUE(queue.post([&] { ran = true; }));
    }  // the destructor stops it
    EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace corral
