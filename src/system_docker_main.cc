// system-docker as a program of its own: the client needs only its commands, the HTTP client
// and base, so each call starts without loading the engine's libraries (libcurl, libcrypto,
// libarchive, yaml-cpp). `corral system-docker` serves the same program.
#include "cli/entry.h"

int main(int argc, char** argv) {
    return corral::cli::system_docker_main(argc, argv);
}
