#include "engine/events.h"

#include <gtest/gtest.h>

#include <thread>

#include "base/sys.h"
#include "engine/notifier.h"

namespace corral::engine {
namespace {

Event container_event(const std::string& action, const std::string& name,
                      std::map<std::string, std::string> extra = {}) {
    Event event;
    event.type = "container";
    event.action = action;
    event.id = std::string(64, 'c');
    event.attributes = std::move(extra);
    event.attributes["name"] = name;
    event.attributes["image"] = "busybox";
    return event;
}

TEST(EventFilter, Matching) {
    auto event = container_event("die", "web", {{"exitCode", "1"}, {"tier", "front"}});
    EXPECT_TRUE(event_matches(event, {}));
    EXPECT_TRUE(event_matches(event, {.types = {"container"}}));
    EXPECT_FALSE(event_matches(event, {.types = {"image"}}));
    EXPECT_TRUE(event_matches(event, {.actions = {"start", "die"}}));
    EXPECT_FALSE(event_matches(event, {.actions = {"start"}}));
    EXPECT_TRUE(event_matches(event, {.containers = {"web"}}));
    EXPECT_TRUE(event_matches(event, {.containers = {"ccc"}}));
    EXPECT_FALSE(event_matches(event, {.containers = {"db"}}));
    EXPECT_TRUE(event_matches(event, {.images = {"busybox"}}));
    EXPECT_FALSE(event_matches(event, {.images = {"alpine"}}));
    EXPECT_TRUE(event_matches(event, {.labels = {"tier"}}));
    EXPECT_TRUE(event_matches(event, {.labels = {"tier=front"}}));
    EXPECT_FALSE(event_matches(event, {.labels = {"tier=back"}}));
    auto exec = container_event("exec_start: sh -c true", "web");
    EXPECT_TRUE(event_matches(exec, {.actions = {"exec_start"}}));
}

TEST(EventBus, ReplaysSinceAndDeliversLive) {
    EventBus bus(4);
    int64_t before = sys::realtime_ns();
    bus.publish(container_event("create", "a"));
    bus.publish(container_event("start", "a"));
    auto subscription = bus.subscribe(before, 0, {.actions = {"start", "die"}});
    ASSERT_FALSE(subscription.is_error());
    auto first = (*subscription)->next({});
    ASSERT_FALSE(first.is_error());
    ASSERT_TRUE(first->has_value());
    EXPECT_EQ((*first)->action, "start");

    std::thread publisher([&] { bus.publish(container_event("die", "a")); });
    auto second = (*subscription)->next({});
    publisher.join();
    ASSERT_FALSE(second.is_error());
    ASSERT_TRUE(second->has_value());
    EXPECT_EQ((*second)->action, "die");
}

TEST(EventBus, UntilEndsAndCancelWakes) {
    EventBus bus(4);
    int64_t now = sys::realtime_ns();
    auto ended = bus.subscribe(0, now + 50'000'000, {});
    ASSERT_FALSE(ended.is_error());
    auto result = (*ended)->next({});
    ASSERT_FALSE(result.is_error());
    EXPECT_FALSE(result->has_value());
    EXPECT_GE(sys::realtime_ns(), now + 50'000'000);

    auto open = bus.subscribe(0, 0, {});
    ASSERT_FALSE(open.is_error());
    auto cancel_fd = make_eventfd();
    ASSERT_FALSE(cancel_fd.is_error());
    std::thread canceller([&] { signal_eventfd(cancel_fd->get()); });
    auto cancelled = (*open)->next({.event_fd = cancel_fd->get()});
    canceller.join();
    ASSERT_TRUE(cancelled.is_error());
    EXPECT_EQ(cancelled.error().kind(), ErrorKind::unavailable);
}

TEST(EventBus, SubscriberLimitAndClose) {
    EventBus bus(2);
    auto a = bus.subscribe(0, 0, {});
    auto b = bus.subscribe(0, 0, {});
    ASSERT_FALSE(a.is_error());
    ASSERT_FALSE(b.is_error());
    auto c = bus.subscribe(0, 0, {});
    ASSERT_TRUE(c.is_error());
    EXPECT_EQ(c.error().kind(), ErrorKind::too_large);
    b->reset();
    EXPECT_FALSE(bus.subscribe(0, 0, {}).is_error());
    std::thread closer([&] { bus.close(); });
    auto end = (*a)->next({});
    closer.join();
    ASSERT_FALSE(end.is_error());
    EXPECT_FALSE(end->has_value());
}

}  // namespace
}  // namespace corral::engine
