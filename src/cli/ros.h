// The `ros` command: shared pieces of its subcommand files (ros.cc builds the command tree,
// ros_config.cc implements `ros config`, ros_completion.cc the bash completion).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/layers.h"

namespace corral::cli::ros {

// Global state of one `ros` run: where the configuration lives and what to run.
struct Context {
    std::string root;  // --root / ROS_CONFIG_ROOT; "" is the real filesystem
    // Values of the subcommands' arguments; CLI11 writes into them while parsing.
    std::string key;
    std::string value;
    std::string file;
    std::string shell;
    std::string name;
    bool all = false;
    bool include_private = false;
    bool full = false;
    // `ros service up|start|...`, `ros tls generate`, `ros console|engine switch`.
    std::vector<std::string> names;
    bool follow = false;
    int lines = -1;    // logs --lines; -1: all
    int timeout = -1;  // stop/restart -t; -1: the container's own
    std::string signal = "SIGKILL";
    bool force = false;
    bool force_recreate = false;
    std::string scope;  // `ros service up|create|ps --scope system|user`; "" for both
    bool server = false;
    std::vector<std::string> hosts;
    std::string directory;
    config::LayerPaths paths() const { return config::LayerPaths::under(root); }
    // The chosen subcommand's action; returns the exit code.
    std::function<int()> action;
};

void add_config_commands(CLI::App& app, Context& context);
void add_completion_command(CLI::App& app, Context& context);
// `ros service`, `ros console`, `ros engine`: the parts that change the configuration and
// read the repositories (starting and switching need the engines and come with them).
void add_service_commands(CLI::App& app, Context& context);
// `ros tls generate`.
void add_tls_commands(CLI::App& app, Context& context);
// `ros console switch`, `ros engine switch` (added to the commands of add_service_commands).
void add_switch_commands(CLI::App& app, Context& context);
// `ros os version|list`.
void add_os_commands(CLI::App& app, Context& context);
// `ros cloud-init`: datasources → cloud-config.d/boot.yml.
void add_cloud_init_command(CLI::App& app, Context& context);
// `ros netconf`: rancher.network → links, addresses, DHCP, resolv.conf (the network service).
void add_netconf_command(CLI::App& app, Context& context);

// The bash completion script for the command tree of `app`.
std::string bash_completion(const CLI::App& app);

// Prints "ros: <message>" on stderr; returns 1 (the exit code of a failed command).
int fail(const std::string& message);

}  // namespace corral::cli::ros
