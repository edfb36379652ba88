// The test binary's main: as root it moves into a private mount namespace with cgroup2 on
// /sys/fs/cgroup before any thread exists, so the bring-up tests can run containers (through
// the lean corral-shim of the build) without disturbing the host.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>

#include "runtime/host_mode.h"

int main(int argc, char** argv) {
    if (::geteuid() == 0) {
        auto entered = corral::runtime::enter_private_mount_namespace();
        if (entered.is_error())
            std::fprintf(stderr, "no private mount namespace (%s): container tests skip\n",
                         entered.error().message().c_str());
        else
            ::setenv("CORRAL_ENGINE_TEST_NAMESPACE", "1", 1);
    }
    testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
