#include "base/process.h"

#include <gtest/gtest.h>
#include <sys/personality.h>
#include <unistd.h>

#include <string>

#include "base/error.h"
#include "base/sys.h"

namespace corral {
namespace {

TEST(Process, RunCapturesOutputErrorAndExitCode) {
    auto result = run({"sh", "-c", "cat; echo err >&2; exit 3"}, "hello");
    ASSERT_TRUE(result) << result.error().message();
    EXPECT_EQ(result->out, "hello");
    EXPECT_EQ(result->err, "err\n");
    EXPECT_EQ(result->exit_code, 3);
}

TEST(Process, KilledChildReportsSignalAsExitCode) {
    auto result = run({"sh", "-c", "kill -9 $$"});
    ASSERT_TRUE(result);
    EXPECT_EQ(result->exit_code, 128 + 9);
}

TEST(Process, MissingProgramIsAnErrorNamingIt) {
    auto result = run({"/nonexistent/program"});
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message().find("/nonexistent/program"), std::string::npos);
    EXPECT_EQ(result.error().kind(), ErrorKind::not_found);
}

TEST(Process, FdMappingSurvivesOverlappingNumbers) {
    // Map child 1 ← parent's write end, whatever number it has.
    auto result = run({"sh", "-c", "echo out; echo more"});
    ASSERT_TRUE(result);
    EXPECT_EQ(result->out, "out\nmore\n");
}

// The personality a spawned `cat /proc/self/personality` (and so a grandchild) reports.
std::string spawned_personality(bool fixed_addresses) {
    auto pipe = sys::pipe();
    if (!pipe)
        return "pipe: " + pipe.error().message();
    SpawnOptions options;
    options.argv = {"sh", "-c", "cat /proc/self/personality"};
    options.fds = {{1, (*pipe)[1].get()}};
    options.fixed_addresses = fixed_addresses;
    auto child = spawn(options);
    if (!child)
        return "spawn: " + child.error().message();
    (*pipe)[1].reset();
    std::string out;
    char buffer[256];
    ssize_t n;
    while ((n = ::read((*pipe)[0].get(), buffer, sizeof(buffer))) > 0)
        out.append(buffer, static_cast<size_t>(n));
    (void)child->wait();
    return out;
}

TEST(Process, FixedAddressesTurnOffRandomizationForTheProgramAndItsChildren) {
    unsigned long own = std::stoul(spawned_personality(false), nullptr, 16);
    EXPECT_EQ(own & ADDR_NO_RANDOMIZE, 0u);
    unsigned long fixed = std::stoul(spawned_personality(true), nullptr, 16);
    EXPECT_EQ(fixed, own | ADDR_NO_RANDOMIZE);
}

ErrorOr<int> add_checked(int a, int b) {
    if (a < 0)
        return Error::invalid("negative");
    return a + b;
}

ErrorOr<int> twice(int a) {
    int sum = TRY(add_checked(a, a));
    return sum;
}

TEST(Error, TryPropagatesErrorsAndValues) {
    EXPECT_EQ(*twice(2), 4);
    auto failed = twice(-1);
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().message(), "negative");
    EXPECT_EQ(failed.error().kind(), ErrorKind::invalid_argument);
}

}  // namespace
}  // namespace corral
