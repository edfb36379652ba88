// corral-shim: the per-container supervisor. The engine starts it through spawn_shim() with
// a command line from shim_command_line(); people never run it by hand.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "cli/entry.h"
#include "runtime/shim.h"

namespace corral::cli {

int shim_main(int argc, char** argv) {
    std::vector<std::string> arguments(argv + 1, argv + argc);
    // spawn_shim names the program again in argv[1] (for a binary not called corral-shim);
    // when argv[0] already was corral-shim, that name is still there.
    if (!arguments.empty() && arguments.front() == "corral-shim")
        arguments.erase(arguments.begin());
    // The factory (runtime::prepare_shim_factory): forks a shim per request until the engine
    // closes its end.
    if (arguments.size() == 1 && arguments.front().starts_with("--factory-fd="))
        return runtime::run_shim_factory(std::atoi(arguments.front().c_str() + 13));
    auto parsed = runtime::parse_shim_command_line(arguments);
    if (!parsed) {
        std::fprintf(stderr, "corral-shim: %s\n", parsed.error().message().c_str());
        return 2;
    }
    return runtime::run_shim(*parsed);
}

}  // namespace corral::cli
