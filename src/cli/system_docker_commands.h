// The subcommands of system-docker. Each takes the arguments after its name, prints what the
// docker CLI prints, and returns the exit code; a returned Error is printed by the caller with
// the command's daemon-error exit code (1, or 125 for run and create).
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "cli/system_docker_api.h"

namespace corral::cli {

class CommandContext {
  public:
    CommandContext(std::string program, std::string host)
        : program_(std::move(program)), host_(std::move(host)) {}
    const std::string& program() const { return program_; }
    const std::string& host() const { return host_; }
    // Connects (and negotiates the API version) on first use.
    ErrorOr<DockerApi*> api();

  private:
    std::string program_;
    std::string host_;
    std::optional<DockerApi> api_;
};

using Arguments = std::vector<std::string>;
using CommandFunction = ErrorOr<int> (*)(CommandContext&, const Arguments&);

struct CommandInfo {
    std::string_view name;
    CommandFunction function;
    std::string_view usage;    // after "docker NAME ": "[OPTIONS] CONTAINER [CONTAINER...]"
    std::string_view summary;  // one line
    int daemon_error_exit = 1;
};

// The table of commands, in the order `--help` lists them.
const std::vector<CommandInfo>& commands();
const CommandInfo* find_command(std::string_view name);

// Parses `arguments` into `app` (flags declared by the caller, positionals collected into
// `positionals`). Returns an exit code when the command must stop here: 0 after --help, 125
// after a usage error (printed in docker's words).
std::optional<int> parse_flags(CommandContext& context, CLI::App& app, const Arguments& arguments,
                               std::string_view command, std::vector<std::string>* positionals,
                               size_t min_positionals, std::optional<size_t> max_positionals = {});
// Prints a usage error for `command` as docker does; returns 125.
int usage_error(CommandContext& context, std::string_view command, std::string_view message);

// Exit code docker gives a container that could not start: 127 when the command was not
// found, 126 when it could not be executed, else 125.
int start_failure_exit_code(std::string_view message);

ErrorOr<int> command_ps(CommandContext&, const Arguments&);
ErrorOr<int> command_start(CommandContext&, const Arguments&);
ErrorOr<int> command_stop(CommandContext&, const Arguments&);
ErrorOr<int> command_restart(CommandContext&, const Arguments&);
ErrorOr<int> command_kill(CommandContext&, const Arguments&);
ErrorOr<int> command_rm(CommandContext&, const Arguments&);
ErrorOr<int> command_wait(CommandContext&, const Arguments&);
ErrorOr<int> command_rename(CommandContext&, const Arguments&);
ErrorOr<int> command_logs(CommandContext&, const Arguments&);
ErrorOr<int> command_inspect(CommandContext&, const Arguments&);
ErrorOr<int> command_top(CommandContext&, const Arguments&);

ErrorOr<int> command_run(CommandContext&, const Arguments&);
ErrorOr<int> command_create(CommandContext&, const Arguments&);
ErrorOr<int> command_exec(CommandContext&, const Arguments&);
ErrorOr<int> command_attach(CommandContext&, const Arguments&);
// start -a: attach, start, wait; returns the container's exit code.
ErrorOr<int> start_attached(CommandContext&, const std::string& container, bool interactive);

ErrorOr<int> command_images(CommandContext&, const Arguments&);
ErrorOr<int> command_tag(CommandContext&, const Arguments&);
ErrorOr<int> command_rmi(CommandContext&, const Arguments&);
ErrorOr<int> command_save(CommandContext&, const Arguments&);
ErrorOr<int> command_load(CommandContext&, const Arguments&);
ErrorOr<int> command_import(CommandContext&, const Arguments&);
ErrorOr<int> command_pull(CommandContext&, const Arguments&);

ErrorOr<int> command_version(CommandContext&, const Arguments&);
ErrorOr<int> command_info(CommandContext&, const Arguments&);
ErrorOr<int> command_events(CommandContext&, const Arguments&);

}  // namespace corral::cli
