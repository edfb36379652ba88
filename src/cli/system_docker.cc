// Placeholder until the real program lands in this file.
#include <cstdio>

#include "cli/entry.h"

namespace corral::cli {

int system_docker_main(int, char**) {
    std::fprintf(stderr, "system-docker: not part of this build yet\n");
    return 1;
}

}  // namespace corral::cli
