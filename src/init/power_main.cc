// poweroff, reboot, halt: ask PID 1 for an orderly shutdown (it stops the system engine and
// its containers first); -f does it at once (sync, then reboot(2)).
#include <signal.h>
#include <sys/reboot.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "cli/entry.h"
#include "init/power.h"

namespace corral::cli {

int power_main(int argc, char** argv) {
    std::string program = argc > 0 ? argv[0] : "poweroff";
    auto action = init::power_action_for_program(program);
    if (!action) {
        std::fprintf(stderr, "%s: call me as poweroff, reboot or halt\n", program.c_str());
        return 2;
    }
    bool force = false;
    for (int i = 1; i < argc; ++i) {
        std::string argument = argv[i];
        if (argument == "-f" || argument == "--force") {
            force = true;
        } else if (argument == "-h" || argument == "--help") {
            std::printf("usage: %s [-f]\n  -f  do it now, without stopping services\n",
                        program.c_str());
            return 0;
        } else {
            std::fprintf(stderr, "%s: unknown option %s\n", program.c_str(), argv[i]);
            return 2;
        }
    }
    if (force) {
        ::sync();
        int command = *action == init::PowerAction::reboot ? RB_AUTOBOOT
                      : *action == init::PowerAction::halt ? RB_HALT_SYSTEM
                                                           : RB_POWER_OFF;
        ::reboot(command);
        std::fprintf(stderr, "%s: reboot(2): %s\n", program.c_str(), std::strerror(errno));
        return 1;
    }
    if (::kill(1, init::signal_for_power_action(*action)) < 0) {
        std::fprintf(stderr, "%s: cannot signal process 1: %s\n", program.c_str(),
                     std::strerror(errno));
        return 1;
    }
    return 0;
}

}  // namespace corral::cli
