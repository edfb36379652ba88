// `ros cloud-init`: the parts of applying a cloud-config, shared by the subcommand's files.
// Every path is under `root` ("" is the real filesystem; tests use a temporary directory).
// A failing item is a warning naming the item and the key; the rest still applies.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "config/model.h"

namespace corral::cli::ros {

struct ApplyReport {
    std::vector<std::string> warnings;  // "write_files[1] (/etc/x): owner: no user `bob`"
    std::vector<std::string> done;      // "hostname box", "write_files[0] /etc/motd"
};

struct ApplyOptions {
    std::string root;
    // Change the kernel's state (sethostname, sysctl, mount); off under a test root.
    bool system = true;
};

// hostname (kernel + /etc/hostname + the 127.0.1.1 line of /etc/hosts).
void apply_hostname(const config::CloudConfig& config, const ApplyOptions& options,
                    ApplyReport& report);
// ssh_authorized_keys → /home/rancher/.ssh/authorized_keys (rancher's, 0600 in a 0700 dir).
void apply_ssh_keys(const config::CloudConfig& config, const ApplyOptions& options,
                    ApplyReport& report);
// write_files whose `container` is `container` ("" = the host's files).
void apply_write_files(const config::CloudConfig& config, const std::string& container,
                       const ApplyOptions& options, ApplyReport& report);
void apply_mounts(const config::CloudConfig& config, const ApplyOptions& options,
                  ApplyReport& report);
void apply_sysctl(const config::CloudConfig& config, const ApplyOptions& options,
                  ApplyReport& report);
// Runs runcmd or bootcmd entries (`key` names them in warnings) with output to `log_fd`.
void run_commands(const std::vector<config::Command>& commands, const std::string& key, int log_fd,
                  ApplyReport& report);

// "user[:group]" → ids, from <root>/etc/passwd and group, else the console image's fixed ids
// (rancher 1100, docker 999, sudo 27, root 0), else numbers.
struct Owner {
    unsigned uid = 0;
    unsigned gid = 0;
};
ErrorOr<Owner> resolve_owner(const std::string& owner, const std::string& root);

}  // namespace corral::cli::ros
