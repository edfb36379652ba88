#include "cli/system_docker_commands.h"

#include <cctype>
#include <cstdio>

namespace corral::cli {

namespace {

const std::vector<CommandInfo> command_table = {
    {"attach", command_attach, "[OPTIONS] CONTAINER", "Attach to a running container", 1},
    {"create", command_create, "[OPTIONS] IMAGE [COMMAND] [ARG...]", "Create a new container", 125},
    {"events", command_events, "[OPTIONS]", "Get real time events from the server", 1},
    {"exec", command_exec, "[OPTIONS] CONTAINER COMMAND [ARG...]",
     "Execute a command in a running container", 1},
    {"images", command_images, "[OPTIONS] [REPOSITORY[:TAG]]", "List images", 1},
    {"import", command_import, "[OPTIONS] file|- [REPOSITORY[:TAG]]",
     "Import the contents from a tarball to create a filesystem image", 1},
    {"info", command_info, "[OPTIONS]", "Display system-wide information", 1},
    {"inspect", command_inspect, "[OPTIONS] NAME|ID [NAME|ID...]",
     "Return low-level information on objects", 1},
    {"kill", command_kill, "[OPTIONS] CONTAINER [CONTAINER...]",
     "Kill one or more running containers", 1},
    {"load", command_load, "[OPTIONS]", "Load an image from a tar archive or STDIN", 1},
    {"logs", command_logs, "[OPTIONS] CONTAINER", "Fetch the logs of a container", 1},
    {"ps", command_ps, "[OPTIONS]", "List containers", 1},
    {"pull", command_pull, "[OPTIONS] NAME[:TAG|@DIGEST]", "Download an image from a registry", 1},
    {"rename", command_rename, "CONTAINER NEW_NAME", "Rename a container", 1},
    {"restart", command_restart, "[OPTIONS] CONTAINER [CONTAINER...]",
     "Restart one or more containers", 1},
    {"rm", command_rm, "[OPTIONS] CONTAINER [CONTAINER...]", "Remove one or more containers", 1},
    {"rmi", command_rmi, "[OPTIONS] IMAGE [IMAGE...]", "Remove one or more images", 1},
    {"run", command_run, "[OPTIONS] IMAGE [COMMAND] [ARG...]",
     "Create and run a new container from an image", 125},
    {"save", command_save, "[OPTIONS] IMAGE [IMAGE...]",
     "Save one or more images to a tar archive (streamed to STDOUT by default)", 1},
    {"start", command_start, "[OPTIONS] CONTAINER [CONTAINER...]",
     "Start one or more stopped containers", 1},
    {"stop", command_stop, "[OPTIONS] CONTAINER [CONTAINER...]",
     "Stop one or more running containers", 1},
    {"tag", command_tag, "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
     "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", 1},
    {"top", command_top, "CONTAINER [ps OPTIONS]", "Display the running processes of a container",
     1},
    {"version", command_version, "[OPTIONS]", "Show the Docker version information", 1},
    {"wait", command_wait, "CONTAINER [CONTAINER...]",
     "Block until one or more containers stop, then print their exit codes", 1},
};

void print_command_help(CommandContext& context, const CommandInfo& info, CLI::App& app) {
    std::printf("\nUsage:  %s %.*s %.*s\n\n%.*s\n\nOptions:\n", context.program().c_str(),
                static_cast<int>(info.name.size()), info.name.data(),
                static_cast<int>(info.usage.size()), info.usage.data(),
                static_cast<int>(info.summary.size()), info.summary.data());
    for (const CLI::Option* option : app.get_options()) {
        if (option->get_positional())
            continue;
        std::printf("  %-28s %s\n", option->get_name(false, true).c_str(),
                    option->get_description().c_str());
    }
}

}  // namespace

const std::vector<CommandInfo>& commands() {
    return command_table;
}

const CommandInfo* find_command(std::string_view name) {
    for (const auto& command : command_table) {
        if (command.name == name)
            return &command;
    }
    return nullptr;
}

ErrorOr<DockerApi*> CommandContext::api() {
    if (!api_)
        api_.emplace(TRY(DockerApi::connect(host_)));
    return &*api_;
}

int usage_error(CommandContext& context, std::string_view command, std::string_view message) {
    const CommandInfo* info = find_command(command);
    std::string usage = info ? std::string(info->usage) : std::string();
    std::fprintf(stderr,
                 "%.*s\n\nUsage:  %s %.*s %s\n\nRun '%s %.*s --help' for more information\n",
                 static_cast<int>(message.size()), message.data(), context.program().c_str(),
                 static_cast<int>(command.size()), command.data(), usage.c_str(),
                 context.program().c_str(), static_cast<int>(command.size()), command.data());
    return 125;
}

std::optional<int> parse_flags(CommandContext& context, CLI::App& app, const Arguments& arguments,
                               std::string_view command, std::vector<std::string>* positionals,
                               size_t min_positionals, std::optional<size_t> max_positionals) {
    app.set_help_flag("--help", "Print usage");
    if (positionals)
        app.add_option("arguments", *positionals)->take_all();
    std::vector<std::string> reversed(arguments.rbegin(), arguments.rend());
    try {
        app.parse(reversed);
    } catch (const CLI::CallForHelp&) {
        if (const CommandInfo* info = find_command(command))
            print_command_help(context, *info, app);
        return 0;
    } catch (const CLI::ExtrasError& error) {
        std::string first = error.what();
        // CLI11 names the extra arguments; docker names the first unknown flag.
        for (const auto& argument : arguments) {
            std::string flag = argument.substr(0, argument.find('='));
            if (argument.starts_with("-") && app.get_option_no_throw(flag) == nullptr) {
                first = "unknown flag: " + flag;
                break;
            }
        }
        return usage_error(context, command, first);
    } catch (const CLI::ParseError& error) {
        return usage_error(context, command, error.what());
    }
    size_t count = positionals ? positionals->size() : 0;
    std::string name = "\"" + context.program() + " " + std::string(command) + "\"";
    if (count < min_positionals) {
        std::string message = name + " requires at least " + std::to_string(min_positionals) +
                              (min_positionals == 1 ? " argument." : " arguments.");
        if (max_positionals && *max_positionals == min_positionals)
            message = name + " requires exactly " + std::to_string(min_positionals) +
                      (min_positionals == 1 ? " argument." : " arguments.");
        return usage_error(context, command, message);
    }
    if (max_positionals && count > *max_positionals) {
        std::string message =
            *max_positionals == 0
                ? name + " accepts no arguments."
                : name + " requires at most " + std::to_string(*max_positionals) + " arguments.";
        if (*max_positionals == min_positionals && min_positionals > 0)
            message = name + " requires exactly " + std::to_string(min_positionals) +
                      (min_positionals == 1 ? " argument." : " arguments.");
        return usage_error(context, command, message);
    }
    return std::nullopt;
}

int start_failure_exit_code(std::string_view message) {
    // Daemons word these differently (runc: "executable file not found in $PATH", crun:
    // "executable file `x` not found in $PATH: No such file or directory"): match loosely.
    std::string lower;
    for (char c : message)
        lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto has = [&](std::string_view needle) { return lower.find(needle) != std::string::npos; };
    if (has("executable file not found") || has("not found in $path") ||
        has("no such file or directory"))
        return 127;
    if (has("permission denied") || has("cannot execute") || has("exec format error"))
        return 126;
    return 125;
}

}  // namespace corral::cli
