// The main of test binaries whose tests run containers. The binary doubles as corral-shim
// (an engine made with shim_path "/proc/self/exe" starts its shims, and at construction its
// shim factory, as `<this binary> corral-shim --...`), and as root it moves into a private mount
// namespace with cgroup2 on /sys/fs/cgroup before any thread exists, so the tests never
// disturb the host. Tests that need the namespace check CORRAL_ENGINE_TEST_NAMESPACE and skip
// without it. CORRAL_TEST_PID1_REAPER=1 runs the tests as the engine runs in PID 1: this
// process becomes a child subreaper (orphans of its children come to it) and base/reaper's
// thread reaps every child.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "base/reaper.h"
#include "cli/entry.h"
#include "runtime/host_mode.h"

namespace corral::testing {

inline int container_test_main(int argc, char** argv) {
    if (argc > 1 && std::strcmp(argv[1], "corral-shim") == 0)
        return corral::cli::shim_main(argc - 1, argv + 1);
    if (::geteuid() == 0) {
        auto entered = corral::runtime::enter_private_mount_namespace();
        if (entered.is_error())
            std::fprintf(stderr, "no private mount namespace (%s): container tests skip\n",
                         entered.error().message().c_str());
        else
            ::setenv("CORRAL_ENGINE_TEST_NAMESPACE", "1", 1);
    }
    if (const char* reaping = ::getenv("CORRAL_TEST_PID1_REAPER"); reaping && *reaping == '1') {
        auto enabled = corral::reaper::enable();
        if (::prctl(PR_SET_CHILD_SUBREAPER, 1) < 0 || enabled.is_error()) {
            std::fprintf(stderr, "CORRAL_TEST_PID1_REAPER: cannot reap as PID 1 does\n");
            return 1;
        }
    }
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}

}  // namespace corral::testing
