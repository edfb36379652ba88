// Entry points of the programs that the corral binary serves by name (see src/main.cc).
#pragma once

namespace corral::cli {

int init_main(int argc, char** argv);            // src/init: PID 1
int system_dockerd_main(int argc, char** argv);  // the system engine daemon
int system_docker_main(int argc, char** argv);   // docker-compatible client
int ros_main(int argc, char** argv);             // the ros command
int shim_main(int argc, char** argv);            // per-container supervisor
int power_main(int argc, char** argv);           // poweroff, reboot, halt

}  // namespace corral::cli
