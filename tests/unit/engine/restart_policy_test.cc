#include "engine/restart_policy.h"

#include <gtest/gtest.h>

namespace corral::engine {
namespace {

using Name = RestartPolicy::Name;

TEST(RestartPolicy, Parse) {
    EXPECT_EQ(parse_restart_policy("")->name, Name::no);
    EXPECT_EQ(parse_restart_policy("no")->name, Name::no);
    EXPECT_EQ(parse_restart_policy("always")->name, Name::always);
    EXPECT_EQ(parse_restart_policy("unless-stopped")->name, Name::unless_stopped);
    auto on_failure = parse_restart_policy("on-failure:3");
    ASSERT_FALSE(on_failure.is_error());
    EXPECT_EQ(on_failure->name, Name::on_failure);
    EXPECT_EQ(on_failure->maximum_retry_count, 3);
    EXPECT_TRUE(parse_restart_policy("always:3").is_error());
    EXPECT_TRUE(parse_restart_policy("on-failure:x").is_error());
    EXPECT_TRUE(parse_restart_policy("sometimes").is_error());
    EXPECT_STREQ(restart_policy_name(Name::unless_stopped), "unless-stopped");
}

TEST(RestartPolicy, AfterExit) {
    EXPECT_FALSE(should_restart({Name::no, 0}, 1, 0));
    EXPECT_TRUE(should_restart({Name::always, 0}, 0, 100));
    EXPECT_TRUE(should_restart({Name::unless_stopped, 0}, 0, 0));
    EXPECT_FALSE(should_restart({Name::on_failure, 0}, 0, 0));
    EXPECT_TRUE(should_restart({Name::on_failure, 0}, 1, 1000));
    EXPECT_TRUE(should_restart({Name::on_failure, 2}, 1, 1));
    EXPECT_FALSE(should_restart({Name::on_failure, 2}, 1, 2));
}

TEST(RestartPolicy, OnBoot) {
    ContainerState exited;
    exited.status = Status::exited;
    exited.started_at_ns = 1;
    exited.exit_code = 0;
    ContainerState stopped = exited;
    stopped.stopped_by_user = true;
    ContainerState never_started;
    EXPECT_TRUE(should_restart_on_boot({Name::always, 0}, exited));
    EXPECT_TRUE(should_restart_on_boot({Name::always, 0}, stopped));
    EXPECT_FALSE(should_restart_on_boot({Name::always, 0}, never_started));
    EXPECT_TRUE(should_restart_on_boot({Name::unless_stopped, 0}, exited));
    EXPECT_FALSE(should_restart_on_boot({Name::unless_stopped, 0}, stopped));
    EXPECT_FALSE(should_restart_on_boot({Name::on_failure, 0}, exited));
    exited.exit_code = 3;
    EXPECT_TRUE(should_restart_on_boot({Name::on_failure, 0}, exited));
    EXPECT_FALSE(should_restart_on_boot({Name::no, 0}, exited));
}

TEST(RestartPolicy, Backoff) {
    int64_t delay = next_restart_delay(0, 0);
    EXPECT_EQ(delay, 100'000'000);
    delay = next_restart_delay(delay, 1'000'000'000);
    EXPECT_EQ(delay, 200'000'000);
    delay = next_restart_delay(delay, 1'000'000'000);
    EXPECT_EQ(delay, 400'000'000);
    for (int i = 0; i < 20; ++i)
        delay = next_restart_delay(delay, 0);
    EXPECT_EQ(delay, restart_maximum_delay_ns);
    // Ten seconds of running resets the backoff.
    EXPECT_EQ(next_restart_delay(delay, 10'000'000'000), 100'000'000);
}

}  // namespace
}  // namespace corral::engine
