// One binary, many names: argv[0] (or the first argument, for `corral NAME ...`) picks the
// program, so init, the engine, the clients and the shim share code and disk space.
#include <cstdio>
#include <cstring>
#include <string_view>

#include "cli/entry.h"
#include "daemon_memory.h"

namespace {

struct Program {
    std::string_view name;
    int (*main)(int argc, char** argv);
    bool resident = false;  // stays up: malloc tuned for a small idle footprint
};

constexpr Program programs[] = {
    {"init", corral::cli::init_main, true},
    {"system-dockerd", corral::cli::system_dockerd_main, true},
    {"system-docker", corral::cli::system_docker_main},
    {"ros", corral::cli::ros_main},
    {"corral-shim", corral::cli::shim_main},
    {"poweroff", corral::cli::power_main},
    {"reboot", corral::cli::power_main},
    {"halt", corral::cli::power_main},
};

int run(const Program& program, int argc, char** argv) {
    if (program.resident)
        corral::limit_daemon_memory();
    return program.main(argc, argv);
}

std::string_view base_name(const char* path) {
    const char* slash = std::strrchr(path, '/');
    return slash ? slash + 1 : path;
}

const Program* find(std::string_view name) {
    for (const auto& program : programs) {
        if (program.name == name)
            return &program;
    }
    return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
    std::string_view name = argc > 0 ? base_name(argv[0]) : "";
    if (const Program* program = find(name))
        return run(*program, argc, argv);
    if (argc > 1) {
        if (std::string_view(argv[1]) == "--version") {
            std::printf("corral %s\n", CORRAL_VERSION);
            return 0;
        }
        if (const Program* program = find(argv[1]))
            return run(*program, argc - 1, argv + 1);
    }
    std::fprintf(stderr, "usage: corral PROGRAM [ARGS...]\nprograms:");
    for (const auto& program : programs)
        std::fprintf(stderr, " %.*s", static_cast<int>(program.name.size()), program.name.data());
    std::fprintf(stderr, "\n");
    return 2;
}
