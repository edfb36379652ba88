// Cgroup limits and devices of config.json.
#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <functional>

#include "base/fs.h"
#include "base/sys.h"
#include "runtime/spec_parts.h"

namespace corral::runtime {

std::set<std::string> available_controllers(const RuntimeOptions& options) {
    std::string dir = fs::join(options.cgroup_mount, options.cgroup_parent);
    for (;;) {
        auto text = fs::read_file(fs::join(dir, "cgroup.controllers"), 4096);
        if (text) {
            std::set<std::string> controllers;
            size_t start = 0;
            const std::string& line = *text;
            while (start < line.size()) {
                size_t end = line.find_first_of(" \n", start);
                if (end == std::string::npos)
                    end = line.size();
                if (end > start)
                    controllers.insert(line.substr(start, end - start));
                start = end + 1;
            }
            return controllers;
        }
        if (dir.size() <= options.cgroup_mount.size() || dir == "/")
            return {};
        dir = fs::dirname(dir);
    }
}

oci::Resources make_resources(const engine::Resources& resources,
                              const std::set<std::string>& controllers, bool swap_supported,
                              Warnings& warnings) {
    oci::Resources result;
    bool memory = controllers.contains("memory");
    bool cpu = controllers.contains("cpu");
    if (resources.memory > 0) {
        if (memory) {
            result.memory_limit = resources.memory;
            int64_t swap = resources.memory_swap;
            if (swap == 0)
                swap = resources.memory * 2;  // docker's default: as much swap as memory
            if (swap_supported)
                result.memory_swap = swap;
            else if (resources.memory_swap != 0)
                warnings.push_back(
                    "Your kernel does not support swap limit capabilities or the cgroup is not "
                    "mounted. Memory limited without swap.");
        } else {
            warnings.push_back(
                "Your kernel does not support memory limit capabilities or the cgroup is not "
                "mounted. Limitation discarded.");
        }
    }
    int64_t quota = resources.cpu_quota;
    int64_t period = resources.cpu_period;
    if (resources.nano_cpus > 0) {
        period = 100000;
        quota = resources.nano_cpus * period / 1000000000;
    }
    if (quota > 0 || period > 0) {
        if (cpu) {
            if (quota > 0)
                result.cpu_quota = quota;
            if (period > 0)
                result.cpu_period = static_cast<uint64_t>(period);
        } else {
            warnings.push_back(
                resources.nano_cpus > 0
                    ? "Your kernel does not support CPU CFS scheduler or the cgroup is not "
                      "mounted. NanoCPUs discarded."
                    : "Your kernel does not support CPU CFS scheduler. CPU period/quota "
                      "discarded.");
        }
    }
    if (resources.cpu_shares > 0) {
        if (cpu) {
            // cgroup v1 shares [2, 262144] map onto v2 weight [1, 10000] (the OCI runtimes'
            // formula), written directly so the value does not depend on the runtime.
            int64_t shares = std::clamp<int64_t>(resources.cpu_shares, 2, 262144);
            int64_t weight = 1 + ((shares - 2) * 9999) / 262142;
            result.unified["cpu.weight"] = std::to_string(weight);
        } else {
            warnings.push_back(
                "Your kernel does not support CPU shares or the cgroup is not mounted. Shares "
                "discarded.");
        }
    }
    if (!resources.cpuset_cpus.empty()) {
        if (controllers.contains("cpuset"))
            result.cpuset_cpus = resources.cpuset_cpus;
        else
            warnings.push_back(
                "Your kernel does not support cpuset or the cgroup is not mounted. Cpuset "
                "discarded.");
    }
    if (resources.pids_limit != 0) {
        if (controllers.contains("pids"))
            result.pids_limit = resources.pids_limit < 0 ? -1 : resources.pids_limit;
        else
            warnings.push_back(
                "Your kernel does not support PIDs limit capabilities or the cgroup is not "
                "mounted. PIDs limit discarded.");
    }
    return result;
}

namespace {

// Devices crun creates in every container itself; listing them again would collide.
bool created_by_runtime(const std::string& path) {
    static const char* const defaults[] = {"/dev/null", "/dev/zero",   "/dev/full",
                                           "/dev/tty",  "/dev/random", "/dev/urandom",
                                           "/dev/ptmx", "/dev/console"};
    for (const char* device : defaults)
        if (path == device)
            return true;
    return false;
}

ErrorOr<void> add_device_node(const std::string& host_path, const std::string& container_path,
                              const std::string& permissions, const RuntimeOptions& options,
                              oci::Linux& linux_spec) {
    struct stat st = TRY(sys::stat(host_path));
    std::string type;
    if (S_ISCHR(st.st_mode))
        type = "c";
    else if (S_ISBLK(st.st_mode))
        type = "b";
    else if (S_ISFIFO(st.st_mode))
        type = "p";
    else
        return Error::invalid("error gathering device information while adding custom device \"" +
                              host_path + "\": not a device node");
    oci::Device device;
    device.path = container_path;
    device.type = type;
    device.major = major(st.st_rdev);
    device.minor = minor(st.st_rdev);
    device.file_mode = st.st_mode & 07777;
    device.uid = st.st_uid;
    device.gid = st.st_gid;
    linux_spec.devices.push_back(device);
    if (options.device_cgroup_rules && type != "p")
        linux_spec.resources.devices.push_back(
            {true, type, device.major, device.minor, permissions});
    return {};
}

// Walks a directory of device nodes (docker accepts a directory for --device).
ErrorOr<void> add_device_tree(const std::string& host_dir, const std::string& container_dir,
                              const std::string& permissions, const RuntimeOptions& options,
                              oci::Linux& linux_spec, int depth) {
    if (depth > 8)
        return {};
    auto names = TRY(fs::list_dir(host_dir));
    for (const auto& name : names) {
        std::string host_path = fs::join(host_dir, name);
        auto st = sys::lstat(host_path);
        if (!st)
            continue;
        if (S_ISDIR(st->st_mode)) {
            TRY(add_device_tree(host_path, fs::join(container_dir, name), permissions, options,
                                linux_spec, depth + 1));
        } else if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
            TRY(add_device_node(host_path, fs::join(container_dir, name), permissions, options,
                                linux_spec));
        }
    }
    return {};
}

ErrorOr<void> add_host_devices(const std::string& dir, const RuntimeOptions& options,
                               oci::Linux& linux_spec, int depth) {
    if (depth > 8)
        return {};
    auto names = fs::list_dir(dir);
    if (!names)
        return {};
    for (const auto& name : *names) {
        std::string path = fs::join(dir, name);
        auto st = sys::lstat(path);
        if (!st)
            continue;
        if (S_ISDIR(st->st_mode)) {
            // These are mounted separately in the container, or are not devices at all.
            if (depth == 0 && (name == "pts" || name == "shm" || name == "fd" || name == "mqueue" ||
                               name == ".lxc" || name == ".lxd-mounts" || name == ".udev"))
                continue;
            TRY(add_host_devices(path, options, linux_spec, depth + 1));
        } else if ((S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) && !created_by_runtime(path)) {
            oci::Device device;
            device.path = path;
            device.type = std::string(1, S_ISCHR(st->st_mode) ? 'c' : 'b');
            device.major = major(st->st_rdev);
            device.minor = minor(st->st_rdev);
            device.file_mode = st->st_mode & 07777;
            device.uid = st->st_uid;
            device.gid = st->st_gid;
            linux_spec.devices.push_back(device);
        }
    }
    return {};
}

}  // namespace

ErrorOr<void> add_devices(const engine::HostConfig& host_config, const RuntimeOptions& options,
                          oci::Linux& linux_spec, bool host_dev) {
    if (options.device_cgroup_rules) {
        if (host_config.privileged) {
            linux_spec.resources.devices.push_back({true, "a", std::nullopt, std::nullopt, "rwm"});
        } else {
            // Docker's defaults: deny everything, then allow mknod and the standard nodes.
            auto& rules = linux_spec.resources.devices;
            rules.push_back({false, "a", std::nullopt, std::nullopt, "rwm"});
            rules.push_back({true, "c", std::nullopt, std::nullopt, "m"});
            rules.push_back({true, "b", std::nullopt, std::nullopt, "m"});
            const std::pair<int64_t, int64_t> standard[] = {
                {1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0}, {5, 1}, {5, 2}, {10, 200}};
            for (auto [major_number, minor_number] : standard)
                rules.push_back({true, "c", major_number, minor_number, "rwm"});
            rules.push_back({true, "c", 136, std::nullopt, "rwm"});  // /dev/pts/*
        }
    }
    if (host_config.privileged && !host_dev)
        TRY(add_host_devices("/dev", options, linux_spec, 0));
    for (const auto& device : host_config.devices) {
        std::string container_path =
            device.container_path.empty() ? device.host_path : device.container_path;
        std::string permissions = device.permissions.empty() ? "rwm" : device.permissions;
        if (permissions.find_first_not_of("rwm") != std::string::npos)
            return Error::invalid("invalid device mode: " + permissions);
        auto st = TRY_CONTEXT(sys::stat(device.host_path), "error gathering device information");
        if (S_ISDIR(st.st_mode))
            TRY(add_device_tree(device.host_path, container_path, permissions, options, linux_spec,
                                0));
        else
            TRY(add_device_node(device.host_path, container_path, permissions, options,
                                linux_spec));
    }
    return {};
}

const std::vector<std::string>& masked_paths() {
    static const std::vector<std::string> paths = {
        "/proc/asound",
        "/proc/acpi",
        "/proc/kcore",
        "/proc/keys",
        "/proc/latency_stats",
        "/proc/timer_list",
        "/proc/timer_stats",
        "/proc/sched_debug",
        "/proc/scsi",
        "/sys/firmware",
        "/sys/devices/virtual/powercap",
    };
    return paths;
}

const std::vector<std::string>& readonly_paths() {
    static const std::vector<std::string> paths = {
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
    };
    return paths;
}

}  // namespace corral::runtime
