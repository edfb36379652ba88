// The flags of `run` and `create`, parsed with CLI11 as the docker CLI reads them (combined
// short flags such as -dit; parsing stops at the image name so the command keeps its own
// flags), and the POST /containers/create body they make.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace corral::cli {

struct ContainerOptions {
    bool detach = false;
    bool remove = false;  // --rm
    bool interactive = false;
    bool tty = false;
    bool privileged = false;
    bool read_only = false;
    bool sig_proxy = true;
    // With tty: the pty's first size (rows, columns), sent as HostConfig.ConsoleSize so the
    // container's process sees it from its start. The docker CLI sends its terminal's size.
    std::optional<std::pair<unsigned, unsigned>> console_size;
    std::string name;
    std::vector<std::string> env;
    std::vector<std::string> volumes;
    std::optional<std::string> entrypoint;
    std::string workdir;
    std::string user;
    std::string hostname;
    std::vector<std::string> labels;
    std::string restart;
    std::vector<std::string> cap_add;
    std::vector<std::string> cap_drop;
    std::string network;
    std::string pid;
    std::string ipc;
    std::string uts;
    std::vector<std::string> tmpfs;
    std::vector<std::string> devices;
    std::vector<std::string> volumes_from;
    std::string memory;
    std::string cpus;
    std::string log_driver;
    std::vector<std::string> log_opts;
    std::string stop_signal;
    std::optional<int> stop_timeout;
    std::string pull;  // accepted for compatibility: system-docker never pulls by itself
    std::string image;
    std::vector<std::string> command;
};

// Adds the flags to `app` (the flags of `run` when `for_run`, else those of `create`).
void add_container_flags(CLI::App& app, ContainerOptions& options, bool for_run);

// Parses `run`/`create` arguments (after the subcommand name). Errors carry the docker CLI's
// wording ("unknown flag: --x", "\"docker run\" requires at least 1 argument.").
ErrorOr<ContainerOptions> parse_container_arguments(const std::vector<std::string>& arguments,
                                                    bool for_run,
                                                    std::string_view program = "docker");

// "512m" → 536870912 (binary units b, k, m, g, t, p, optional trailing "b").
ErrorOr<int64_t> parse_memory_bytes(std::string_view text);
// "1.5" → 1500000000 nano-CPUs.
ErrorOr<int64_t> parse_nano_cpus(std::string_view text);

// The JSON body of POST /containers/create (the name goes in the query, not here).
ErrorOr<nlohmann::ordered_json> build_create_body(const ContainerOptions& options);

}  // namespace corral::cli
