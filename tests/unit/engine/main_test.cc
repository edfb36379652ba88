// The test binary's main. It doubles as corral-shim (the engine starts its shim as
// `<this binary> corral-shim --...`, as the corral binary serves it), and as root it moves into
// a private mount namespace with cgroup2 on /sys/fs/cgroup before any thread exists, so the
// container tests never disturb the host.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "cli/entry.h"
#include "runtime/host_mode.h"

int main(int argc, char** argv) {
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
    testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
