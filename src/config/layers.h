// The configuration layers and their merge, in RancherOS's order:
//   built-in os-config → OEM → cloud-config.d/*.yml (sorted) → cloud-config.yml → kernel
//   command line
// Maps merge deeply and later layers win; lists and scalars are replaced whole. A layer that
// cannot be read or parsed is skipped and reported, never fatal: the machine must boot.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "config/model.h"
#include "config/schema.h"
#include "config/value.h"

namespace corral::config {

struct LayerPaths {
    std::string os_config = "/usr/share/ros/os-config.yml";
    std::string oem_config = "/usr/share/ros/oem/oem-config.yml";
    std::string cloud_config_dir = "/var/lib/rancher/conf/cloud-config.d";
    std::string cloud_config_file = "/var/lib/rancher/conf/cloud-config.yml";
    std::string cmdline_file = "/proc/cmdline";
    // Downloaded service repositories and service files.
    std::string cache_dir = "/var/lib/rancher/cache";

    // The same layout below `root` ("" or "/" gives the real paths); tests use temp dirs.
    static LayerPaths under(const std::string& root);
};

struct LoadOptions {
    bool system_layers = true;   // os-config and OEM (`export --full`, boot)
    bool user_layers = true;     // cloud-config.d and cloud-config.yml
    bool kernel_cmdline = true;  // read cmdline_file (or `cmdline` when set)
    std::optional<std::string> cmdline;
};

struct Layer {
    std::string source;  // the file, or "kernel command line"
    Value value;
};

struct LoadedConfig {
    Value merged;
    std::vector<Layer> layers;        // those that applied, in merge order
    std::vector<Problem> problems;    // schema problems, per layer with its own line numbers
    std::vector<std::string> errors;  // layers skipped: unreadable or not YAML

    CloudConfig typed() const { return to_cloud_config(merged); }
};

// Parses one cloud-config file's text: YAML errors are errors; schema problems are returned.
struct ParsedDocument {
    Value value;
    std::vector<Problem> problems;
};
ErrorOr<ParsedDocument> parse_cloud_config(std::string_view text, const std::string& file);

// Reads a cloud-config file; a missing file is an empty document.
ErrorOr<ParsedDocument> read_cloud_config(const std::string& path);

// The files of cloud-config.d that are layers: `*.yml` and `*.yaml`, not hidden, sorted.
std::vector<std::string> cloud_config_dir_files(const std::string& dir);

LoadedConfig load_config(const LayerPaths& paths, const LoadOptions& options = {});

}  // namespace corral::config
