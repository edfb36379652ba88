// system-dockerd as a program of its own: the engine and its API without ros, compose and
// the cloud-config code (and their libraries). `corral system-dockerd` serves the same program.
#include "cli/entry.h"
#include "daemon_memory.h"

int main(int argc, char** argv) {
    corral::limit_daemon_memory();
    return corral::cli::system_dockerd_main(argc, argv);
}
