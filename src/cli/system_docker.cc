// system-docker: a docker-compatible client for the system engine's socket.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/fs.h"
#include "cli/entry.h"
#include "cli/system_docker_commands.h"

namespace corral::cli {

namespace {

void print_help(const std::string& program) {
    std::printf(
        "\nUsage:  %s [OPTIONS] COMMAND\n\nA docker-compatible client for the CorralOS "
        "system engine\n\nOptions:\n"
        "  -H, --host string   Daemon socket to connect to (default %.*s)\n"
        "  -v, --version       Print version information and quit\n\nCommands:\n",
        program.c_str(), static_cast<int>(default_host.size()), default_host.data());
    for (const auto& command : commands())
        std::printf("  %-10.*s %.*s\n", static_cast<int>(command.name.size()), command.name.data(),
                    static_cast<int>(command.summary.size()), command.summary.data());
    std::printf("\nRun '%s COMMAND --help' for more information on a command.\n", program.c_str());
}

}  // namespace

int system_docker_main(int argc, char** argv) {
    // A closed output pipe must come back as EPIPE, not kill us.
    ::signal(SIGPIPE, SIG_IGN);
    std::string program = argc > 0 ? fs::basename(argv[0]) : "system-docker";
    if (program.empty() || program == "corral")
        program = "system-docker";
    std::string host;
    if (const char* from_env = std::getenv("DOCKER_HOST"); from_env && *from_env)
        host = from_env;
    // Global flags come before the command name.
    int index = 1;
    for (; index < argc; ++index) {
        std::string argument = argv[index];
        if (argument == "-H" || argument == "--host") {
            if (index + 1 >= argc) {
                std::fprintf(stderr, "flag needs an argument: %s\n", argument.c_str());
                return 125;
            }
            host = argv[++index];
        } else if (argument.starts_with("--host=")) {
            host = argument.substr(7);
        } else if (argument.starts_with("-H") && argument.size() > 2) {
            host = argument.substr(argument[2] == '=' ? 3 : 2);
        } else if (argument == "-v" || argument == "--version") {
            std::printf("%s version %s, API %.*s\n", program.c_str(), CORRAL_VERSION,
                        static_cast<int>(client_api_version.size()), client_api_version.data());
            return 0;
        } else if (argument == "--help" || argument == "-h") {
            print_help(program);
            return 0;
        } else if (argument == "-D" || argument == "--debug") {
            continue;
        } else if (argument.starts_with("-")) {
            std::fprintf(stderr, "unknown flag: %s\nSee '%s --help'.\n", argument.c_str(),
                         program.c_str());
            return 125;
        } else {
            break;
        }
    }
    if (host.empty())
        host = std::string(default_host);
    if (index >= argc) {
        print_help(program);
        return 0;
    }
    std::string name = argv[index];
    const CommandInfo* command = find_command(name);
    if (!command) {
        std::fprintf(stderr, "%s: '%s' is not a %s command.\nSee '%s --help'\n", program.c_str(),
                     name.c_str(), program.c_str(), program.c_str());
        return 1;
    }
    Arguments arguments(argv + index + 1, argv + argc);
    CommandContext context(program, host);
    auto result = command->function(context, arguments);
    std::fflush(stdout);
    if (result.is_error()) {
        const std::string& message = result.error().message();
        if (command->daemon_error_exit == 125)
            std::fprintf(stderr, "%s: %s\n\nRun '%s %s --help' for more information\n",
                         program.c_str(), message.c_str(), program.c_str(), name.c_str());
        else
            std::fprintf(stderr, "%s\n", message.c_str());
        return command->daemon_error_exit;
    }
    return *result;
}

}  // namespace corral::cli
