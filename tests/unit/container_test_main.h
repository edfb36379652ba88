// The main of test binaries whose tests run containers. The binary doubles as corral-shim
// (an engine made with shim_path "/proc/self/exe" starts its shims, and at construction its
// shim factory, as `<this binary> corral-shim --...`), and as root it moves into a private mount
// namespace with cgroup2 on /sys/fs/cgroup before any thread exists, so the tests never
// disturb the host. Tests that need the namespace check CORRAL_ENGINE_TEST_NAMESPACE and skip
// without it.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

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
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}

}  // namespace corral::testing
