// The parts of the OCI runtime spec (config.json) that CorralOS writes, as typed structs. Only
// the bundle generator builds these; to_json turns them into the file crun reads.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace corral::runtime::oci {

struct User {
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::vector<uint32_t> additional_gids;
};

struct Capabilities {
    std::vector<std::string> bounding, effective, inheritable, permitted, ambient;
};

struct ConsoleSize {
    unsigned height = 0;
    unsigned width = 0;
};

struct Process {
    bool terminal = false;
    std::optional<ConsoleSize> console_size;
    User user;
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::string cwd = "/";
    Capabilities capabilities;
    bool no_new_privileges = false;
};

struct Mount {
    std::string destination;
    std::string type;
    std::string source;
    std::vector<std::string> options;
};

struct Namespace {
    std::string type;  // pid, network, ipc, uts, mount, cgroup
    std::string path;  // join this one; empty: a new namespace
};

struct Device {
    std::string path;
    std::string type;  // "c", "b", "p"
    int64_t major = 0;
    int64_t minor = 0;
    uint32_t file_mode = 0666;
    uint32_t uid = 0;
    uint32_t gid = 0;
};

struct DeviceRule {
    bool allow = false;
    std::string type;              // "a", "c", "b"
    std::optional<int64_t> major;  // absent: any
    std::optional<int64_t> minor;
    std::string access;  // "rwm"
};

struct Resources {
    std::vector<DeviceRule> devices;
    std::optional<int64_t> memory_limit;
    std::optional<int64_t> memory_swap;
    std::optional<int64_t> cpu_quota;
    std::optional<uint64_t> cpu_period;
    std::string cpuset_cpus;
    std::optional<int64_t> pids_limit;
    std::map<std::string, std::string> unified;  // cgroup v2 files, e.g. cpu.weight
};

struct Linux {
    std::vector<Namespace> namespaces;
    std::vector<Device> devices;
    std::string cgroups_path;
    Resources resources;
    std::map<std::string, std::string> sysctl;
    std::vector<std::string> masked_paths;
    std::vector<std::string> readonly_paths;
    std::string rootfs_propagation;
    std::string seccomp{};  // linux.seccomp as JSON text; empty: no filter
    // linux.personality's domain ("LINUX", "LINUX32"); empty: none (the process keeps the
    // personality of the runtime that starts it).
    std::string personality_domain;
};

struct Spec {
    std::string oci_version = "1.0.2";
    Process process;
    std::string root_path = "rootfs";
    bool root_readonly = false;
    std::string hostname;
    std::string domainname;
    std::vector<Mount> mounts;
    Linux linux_section;  // "linux" (a predefined macro in GNU C++)
    std::map<std::string, std::string> annotations;
};

nlohmann::json to_json(const Spec& spec);
nlohmann::json to_json(const Process& process);

}  // namespace corral::runtime::oci
