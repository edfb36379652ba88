// The test binary's main: the bring-up tests run containers on an engine (the shared engine
// fixture starts its shims from this binary), so it serves corral-shim and enters the
// namespace they need (container_test_main.h).
#include "../container_test_main.h"

int main(int argc, char** argv) {
    return corral::testing::container_test_main(argc, argv);
}
