// corral-shim: the per-container supervisor. The engine starts it through spawn_shim() with
// a command line from shim_command_line(); people never run it by hand.
#include <unistd.h>

#include <cerrno>
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
    // A spare (runtime::prepare_spare_shim): the command line comes later, NUL-separated on
    // the given descriptor; end of file without one means the engine no longer needs us.
    if (arguments.size() == 1 && arguments.front().starts_with("--arguments-fd=")) {
        int fd = std::atoi(arguments.front().c_str() + 15);
        std::string text;
        char buffer[4096];
        for (;;) {
            ssize_t n = ::read(fd, buffer, sizeof(buffer));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            text.append(buffer, static_cast<size_t>(n));
            if (text.size() > (1 << 20))
                break;
        }
        ::close(fd);
        if (text.empty())
            return 0;
        arguments.clear();
        size_t start = 0;
        for (size_t end; (end = text.find('\0', start)) != std::string::npos; start = end + 1)
            arguments.push_back(text.substr(start, end - start));
    }
    auto parsed = runtime::parse_shim_command_line(arguments);
    if (!parsed) {
        std::fprintf(stderr, "corral-shim: %s\n", parsed.error().message().c_str());
        return 2;
    }
    return runtime::run_shim(*parsed);
}

}  // namespace corral::cli
