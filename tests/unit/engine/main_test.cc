// The test binary's main: it serves corral-shim and enters the namespace the container tests
// need (container_test_main.h).
#include "../container_test_main.h"

int main(int argc, char** argv) {
    return corral::testing::container_test_main(argc, argv);
}
