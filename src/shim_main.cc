// corral-shim as a program of its own (the lean build of the per-container supervisor): only
// the runtime module and the C++ runtime, so every container start execs a small binary.
#include "cli/entry.h"

int main(int argc, char** argv) {
    return corral::cli::shim_main(argc, argv);
}
