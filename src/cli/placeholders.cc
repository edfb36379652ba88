// Scaffolding while the programs are written: each entry point moves to its own module's file.
#include <cstdio>

#include "cli/entry.h"

namespace corral::cli {

namespace {
int not_built(const char* name) {
    std::fprintf(stderr, "%s: not part of this build yet\n", name);
    return 1;
}
}  // namespace

int init_main(int, char**) { return not_built("init"); }
int system_dockerd_main(int, char**) { return not_built("system-dockerd"); }
int system_docker_main(int, char**) { return not_built("system-docker"); }
int ros_main(int, char**) { return not_built("ros"); }
int shim_main(int, char**) { return not_built("corral-shim"); }
int power_main(int, char**) { return not_built("poweroff"); }

}  // namespace corral::cli
