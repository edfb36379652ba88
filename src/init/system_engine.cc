#include "init/system_engine.h"

#include "init/console.h"

namespace corral::init {

void start_system(Supervisor& supervisor, const BootOptions&) {
    supervisor.add_probe({"sshd ready", [] { return tcp_port_listening(22); }});
    supervisor.add_probe(
        {"docker ready", [] { return unix_socket_accepts("/var/run/docker.sock"); }});
    console_line("the system engine is not part of this build: console shell on the console");
    supervisor.keep_running("console shell", start_console_shell);
}

}  // namespace corral::init
