#include "api/host_config.h"

#include <cctype>

#include "api/create_body.h"

namespace corral::api {

namespace {

const std::set<std::string> propagation_modes = {"private", "rprivate", "shared",
                                                 "rshared", "slave",    "rslave"};

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

ErrorOr<void> check_mode(const std::string& field, const std::string& value,
                         const std::set<std::string>& allowed, bool container_allowed) {
    if (allowed.count(value))
        return {};
    if (container_allowed && starts_with(value, "container:") && value.size() > 10)
        return {};
    return Error::invalid("invalid value for " + field + ": \"" + value +
                          "\" is not supported by this engine");
}

ErrorOr<engine::MountSpec> parse_mount(const nlohmann::json& item, const std::string& path) {
    auto fields = TRY(Fields::of(item, path));
    engine::MountSpec mount;
    std::string type = TRY(fields.string("Type"));
    mount.source = TRY(fields.string("Source"));
    mount.target = TRY(fields.string("Target"));
    mount.read_only = TRY(fields.boolean("ReadOnly"));
    TRY(fields.unsupported("Consistency", {"default", "consistent", "cached", "delegated"}));
    if (mount.target.empty() || mount.target.front() != '/')
        return Error::invalid("invalid mount config: " + path + ".Target must be an absolute path");
    auto bind = TRY(fields.object("BindOptions"));
    mount.propagation = TRY(bind.string("Propagation"));
    if (!mount.propagation.empty() && !propagation_modes.count(mount.propagation))
        return Error::invalid("invalid propagation mode: " + mount.propagation);
    TRY(bind.unsupported("NonRecursive"));
    TRY(bind.unsupported("CreateMountpoint"));
    TRY(bind.unsupported("ReadOnlyNonRecursive"));
    TRY(bind.unsupported("ReadOnlyForceRecursive"));
    TRY(bind.finish());
    auto volume = TRY(fields.object("VolumeOptions"));
    volume.ignore("NoCopy");
    TRY(volume.unsupported("Labels"));
    TRY(volume.unsupported("DriverConfig"));
    TRY(volume.unsupported("Subpath"));
    TRY(volume.finish());
    auto tmpfs = TRY(fields.object("TmpfsOptions"));
    int64_t size = TRY(tmpfs.integer("SizeBytes", 0));
    int64_t mode = TRY(tmpfs.integer("Mode", 0, 07777));
    TRY(tmpfs.unsupported("Options"));
    TRY(tmpfs.finish());
    TRY(fields.finish());
    if (type == "bind") {
        mount.type = engine::MountSpec::Type::bind;
        if (mount.source.empty() || mount.source.front() != '/')
            return Error::invalid("invalid mount config for type \"bind\": " + path +
                                  ".Source must be an absolute path");
    } else if (type == "volume") {
        mount.type = engine::MountSpec::Type::volume;
    } else if (type == "tmpfs") {
        mount.type = engine::MountSpec::Type::tmpfs;
        if (!mount.source.empty())
            return Error::invalid("invalid mount config for type \"tmpfs\": Source must be empty");
        std::string options;
        if (size > 0)
            options = "size=" + std::to_string(size);
        if (mode > 0) {
            char octal[32];
            std::snprintf(octal, sizeof(octal), "%llo", static_cast<unsigned long long>(mode));
            options += (options.empty() ? "mode=" : ",mode=") + std::string(octal);
        }
        mount.options = options;
    } else {
        return Error::invalid("invalid value for " + path + ".Type: mount type \"" + type +
                              "\" is not supported by this engine");
    }
    return mount;
}

ErrorOr<void> parse_log_config(Fields& fields, engine::LogConfig& log) {
    std::string type = TRY(fields.string("Type"));
    if (type.empty() || type == "json-file" || type == "local")
        log.type = "json-file";
    else if (type == "none")
        log.type = "none";
    else
        return Error::invalid("invalid value for " + fields.field_path("Type") +
                              ": logging driver \"" + type + "\" is not supported by this engine");
    auto config = TRY(fields.string_map("Config"));
    log.options = {config.begin(), config.end()};
    for (const auto& [key, value] : config) {
        if (key == "max-size") {
            log.max_size = TRY(parse_size(value, "log-opt max-size"));
        } else if (key == "max-file") {
            int64_t count = 0;
            for (char c : value) {
                if (c < '0' || c > '9' || count > 100000) {
                    count = -1;
                    break;
                }
                count = count * 10 + (c - '0');
            }
            if (value.empty() || count < 1)
                return Error::invalid("invalid value for log-opt max-file: \"" + value + "\"");
            log.max_file = static_cast<int>(count);
        } else {
            return Error::invalid("unknown log opt '" + key + "' for " + log.type + " log driver");
        }
    }
    return fields.finish();
}

ErrorOr<void> parse_restart_policy(Fields& fields, engine::RestartPolicy& policy) {
    std::string name = TRY(fields.string("Name"));
    int64_t retries = TRY(fields.integer("MaximumRetryCount", 0, 1 << 30));
    using Name = engine::RestartPolicy::Name;
    if (name.empty() || name == "no")
        policy.name = Name::no;
    else if (name == "always")
        policy.name = Name::always;
    else if (name == "on-failure")
        policy.name = Name::on_failure;
    else if (name == "unless-stopped")
        policy.name = Name::unless_stopped;
    else
        return Error::invalid("invalid restart policy: unknown policy '" + name +
                              "'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'");
    if (retries != 0 && policy.name != Name::on_failure)
        return Error::invalid(
            "invalid restart policy: maximum retry count can only be used with "
            "'on-failure'");
    policy.maximum_retry_count = static_cast<int>(retries);
    return fields.finish();
}

ErrorOr<void> parse_devices(const nlohmann::json* list, const std::string& path,
                            std::vector<engine::DeviceSpec>& devices) {
    if (!list)
        return {};
    if (!list->is_array())
        return Error::invalid("invalid value for " + path + ": expected a list");
    for (size_t i = 0; i < list->size(); ++i) {
        auto fields = TRY(Fields::of((*list)[i], path + "[" + std::to_string(i) + "]"));
        engine::DeviceSpec device;
        device.host_path = TRY(fields.string("PathOnHost"));
        device.container_path = TRY(fields.string("PathInContainer"));
        std::string permissions = TRY(fields.string("CgroupPermissions"));
        TRY(fields.finish());
        if (device.host_path.empty() || device.host_path.front() != '/')
            return Error::invalid("invalid device path on host: \"" + device.host_path + "\"");
        if (device.container_path.empty())
            device.container_path = device.host_path;
        if (device.container_path.front() != '/')
            return Error::invalid("invalid device path in container: \"" + device.container_path +
                                  "\"");
        if (!permissions.empty()) {
            for (char c : permissions) {
                if (c != 'r' && c != 'w' && c != 'm')
                    return Error::invalid("invalid device permissions: \"" + permissions + "\"");
            }
            device.permissions = permissions;
        }
        devices.push_back(std::move(device));
    }
    return {};
}

ErrorOr<void> parse_tmpfs(Fields& fields, std::vector<engine::MountSpec>& mounts) {
    for (const auto& [target, options] : TRY(fields.string_map("Tmpfs"))) {
        if (target.empty() || target.front() != '/')
            return Error::invalid("invalid tmpfs mount: " + target + " is not an absolute path");
        engine::MountSpec mount;
        mount.type = engine::MountSpec::Type::tmpfs;
        mount.target = target;
        mount.options = options;
        mounts.push_back(std::move(mount));
    }
    return {};
}

}  // namespace

ErrorOr<uint64_t> parse_size(std::string_view text, std::string_view field) {
    auto invalid = [&] {
        return Error::invalid("invalid size for " + std::string(field) + ": '" + std::string(text) +
                              "'");
    };
    size_t digits = 0;
    uint64_t value = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
        if (value > (UINT64_MAX / 10) - 10)
            return invalid();
        value = value * 10 + static_cast<uint64_t>(text[digits] - '0');
        ++digits;
    }
    if (digits == 0)
        return invalid();
    std::string unit(text.substr(digits));
    for (auto& c : unit)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!unit.empty() && unit.back() == 'b')
        unit.pop_back();
    if (unit.size() == 2 && unit.back() == 'i')
        unit.pop_back();
    int shift = 0;
    if (unit.empty())
        shift = 0;
    else if (unit == "k")
        shift = 10;
    else if (unit == "m")
        shift = 20;
    else if (unit == "g")
        shift = 30;
    else if (unit == "t")
        shift = 40;
    else
        return invalid();
    if (shift && value > (UINT64_MAX >> shift))
        return invalid();
    return value << shift;
}

ErrorOr<engine::ConsoleSize> parse_console_size(Fields& fields, std::string_view key) {
    const auto* value = fields.take(key);
    if (!value)
        return engine::ConsoleSize{};
    auto invalid = [&] {
        return Error::invalid("invalid value for " + fields.field_path(key) +
                              ": expected [height, width], two integers from 0 to 65535");
    };
    if (!value->is_array() || value->size() != 2)
        return invalid();
    unsigned short sides[2] = {0, 0};
    for (size_t i = 0; i < 2; ++i) {
        const auto& side = (*value)[i];
        if (!side.is_number_unsigned() || side.get<uint64_t>() > 65535)
            return invalid();
        sides[i] = static_cast<unsigned short>(side.get<uint64_t>());
    }
    return engine::ConsoleSize{sides[0], sides[1]};
}

ErrorOr<engine::MountSpec> parse_bind(std::string_view bind) {
    // src:dst[:options]; a source without "/" is a volume name.
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
        size_t colon = bind.find(':', start);
        parts.emplace_back(
            bind.substr(start, colon == std::string_view::npos ? colon : colon - start));
        if (colon == std::string_view::npos)
            break;
        start = colon + 1;
    }
    auto invalid = [&](std::string_view why) {
        return Error::invalid("invalid volume specification: '" + std::string(bind) +
                              "': " + std::string(why));
    };
    if (parts.size() < 2 || parts.size() > 3)
        return invalid("expected source:destination[:options]");
    engine::MountSpec mount;
    mount.source = parts[0];
    mount.target = parts[1];
    if (mount.source.empty())
        return invalid("empty source");
    if (mount.target.empty() || mount.target.front() != '/')
        return invalid("the destination must be an absolute path");
    if (mount.source.front() == '/') {
        mount.type = engine::MountSpec::Type::bind;
        mount.create_source = true;
    } else {
        mount.type = engine::MountSpec::Type::volume;
        for (char c : mount.source) {
            if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'))
                return invalid("invalid volume name");
        }
    }
    if (parts.size() == 3) {
        std::string_view options = parts[2];
        size_t begin = 0;
        while (begin <= options.size()) {
            size_t comma = options.find(',', begin);
            if (comma == std::string_view::npos)
                comma = options.size();
            std::string option(options.substr(begin, comma - begin));
            begin = comma + 1;
            if (option == "ro")
                mount.read_only = true;
            else if (option == "rw")
                mount.read_only = false;
            else if (propagation_modes.count(option))
                mount.propagation = option;
            else if (option == "z" || option == "Z" || option == "nocopy" || option == "copy")
                continue;  // SELinux labels and volume copying do not apply here
            else
                return invalid("unknown option '" + option + "'");
        }
    }
    return mount;
}

ErrorOr<void> parse_host_config(Fields& fields, engine::HostConfig& host) {
    for (const auto& bind : TRY(fields.strings("Binds")))
        host.mounts.push_back(TRY(parse_bind(bind)));
    if (const auto* mounts = fields.take("Mounts")) {
        if (!mounts->is_array())
            return Error::invalid("invalid value for HostConfig.Mounts: expected a list");
        for (size_t i = 0; i < mounts->size(); ++i)
            host.mounts.push_back(
                TRY(parse_mount((*mounts)[i], "HostConfig.Mounts[" + std::to_string(i) + "]")));
    }
    TRY(parse_tmpfs(fields, host.mounts));
    host.volumes_from = TRY(fields.strings("VolumesFrom"));
    host.read_only_rootfs = TRY(fields.boolean("ReadonlyRootfs"));
    host.privileged = TRY(fields.boolean("Privileged"));
    host.cap_add = TRY(fields.strings("CapAdd"));
    host.cap_drop = TRY(fields.strings("CapDrop"));
    host.security_opt = TRY(fields.strings("SecurityOpt"));
    TRY(parse_devices(fields.take("Devices"), "HostConfig.Devices", host.devices));

    host.network_mode = TRY(fields.string("NetworkMode"));
    TRY(check_mode("HostConfig.NetworkMode", host.network_mode,
                   {"", "default", "bridge", "none", "host"}, true));
    host.pid_mode = TRY(fields.string("PidMode"));
    TRY(check_mode("HostConfig.PidMode", host.pid_mode, {"", "host", "private"}, true));
    host.ipc_mode = TRY(fields.string("IpcMode"));
    TRY(check_mode("HostConfig.IpcMode", host.ipc_mode,
                   {"", "private", "shareable", "host", "none"}, true));
    host.uts_mode = TRY(fields.string("UTSMode"));
    TRY(check_mode("HostConfig.UTSMode", host.uts_mode, {"", "host"}, false));
    auto cgroupns = TRY(fields.string("CgroupnsMode"));
    TRY(check_mode("HostConfig.CgroupnsMode", cgroupns, {"", "private"}, false));

    auto restart = TRY(fields.object("RestartPolicy"));
    TRY(parse_restart_policy(restart, host.restart_policy));
    host.auto_remove = TRY(fields.boolean("AutoRemove"));
    auto log = TRY(fields.object("LogConfig"));
    TRY(parse_log_config(log, host.log_config));

    auto& resources = host.resources;
    resources.memory = TRY(fields.integer("Memory", 0));
    resources.memory_swap = TRY(fields.integer("MemorySwap", -1));
    resources.nano_cpus = TRY(fields.integer("NanoCpus", 0));
    resources.cpu_shares = TRY(fields.integer("CpuShares", 0, 262144));
    resources.cpu_quota = TRY(fields.integer("CpuQuota", -1));
    resources.cpu_period = TRY(fields.integer("CpuPeriod", 0, 1000000));
    resources.cpuset_cpus = TRY(fields.string("CpusetCpus"));
    resources.pids_limit = TRY(fields.integer("PidsLimit", -1));

    host.sysctls = TRY(fields.string_map("Sysctls"));
    host.extra_hosts = TRY(fields.strings("ExtraHosts"));
    for (const auto& entry : host.extra_hosts) {
        size_t colon = entry.find(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == entry.size())
            return Error::invalid("invalid extra host \"" + entry + "\": expected host:ip");
    }
    host.dns = TRY(fields.strings("Dns"));
    host.dns_search = TRY(fields.strings("DnsSearch"));
    host.group_add = TRY(fields.strings("GroupAdd"));
    host.shm_size = TRY(fields.integer("ShmSize", 0));
    host.init = TRY(fields.optional_boolean("Init")).value_or(false);
    host.console_size = TRY(parse_console_size(fields, "ConsoleSize"));

    // Set by the client for itself, or sent with their zero value by the stock CLIs.
    fields.ignore("ContainerIDFile");
    fields.ignore("MemorySwappiness");  // -1 by default; cgroup v2 has no swappiness knob
    TRY(fields.unsupported("Runtime", {"runc", "crun"}));
    TRY(fields.unsupported("Isolation", {"default"}));
    // Features this engine does not offer: accepted at their zero value only.
    for (const char* key : {"PortBindings",
                            "PublishAllPorts",
                            "Links",
                            "VolumeDriver",
                            "DnsOptions",
                            "Cgroup",
                            "CgroupParent",
                            "OomScoreAdj",
                            "StorageOpt",
                            "UsernsMode",
                            "Annotations",
                            "BlkioWeight",
                            "BlkioWeightDevice",
                            "BlkioDeviceReadBps",
                            "BlkioDeviceWriteBps",
                            "BlkioDeviceReadIOps",
                            "BlkioDeviceWriteIOps",
                            "CpuRealtimePeriod",
                            "CpuRealtimeRuntime",
                            "CpusetMems",
                            "DeviceCgroupRules",
                            "DeviceRequests",
                            "KernelMemory",
                            "KernelMemoryTCP",
                            "MemoryReservation",
                            "OomKillDisable",
                            "Ulimits",
                            "CpuCount",
                            "CpuPercent",
                            "IOMaximumIOps",
                            "IOMaximumBandwidth",
                            "MaskedPaths",
                            "ReadonlyPaths"})
        TRY(fields.unsupported(key));
    return {};
}

ErrorOr<void> parse_networking_config(Fields& fields, const std::string& network_mode) {
    const auto* endpoints = fields.take("EndpointsConfig");
    if (!endpoints)
        return {};
    if (!endpoints->is_object())
        return Error::invalid(
            "invalid value for NetworkingConfig.EndpointsConfig: expected an object");
    for (const auto& [network, settings] : endpoints->items()) {
        bool own_network =
            network == network_mode ||
            (network == "default" && (network_mode.empty() || network_mode == "bridge")) ||
            network == "bridge" || network == "host" || network == "none";
        if (!own_network)
            return Error::invalid("NetworkingConfig.EndpointsConfig." + network +
                                  ": networks are not supported by this engine");
        if (!is_zero_value(settings))
            return Error::invalid("NetworkingConfig.EndpointsConfig." + network +
                                  ": endpoint settings are not supported by this engine");
    }
    return {};
}

ErrorOr<void> check_host_config(const engine::CreateRequest& request) {
    const auto& host = request.host_config;
    const auto& resources = host.resources;
    if (host.auto_remove && host.restart_policy.name != engine::RestartPolicy::Name::no)
        return Error::invalid("can't create 'AutoRemove' container with restart policy");
    if (resources.memory > 0 && resources.memory < 6 * 1024 * 1024)
        return Error::invalid("Minimum memory limit allowed is 6MB");
    if (resources.memory_swap > 0 && resources.memory > resources.memory_swap)
        return Error::invalid(
            "Minimum memoryswap limit should be larger than memory limit, see usage");
    if (resources.memory_swap > 0 && resources.memory == 0)
        return Error::invalid(
            "You should always set the Memory limit when using Memoryswap limit, see usage");
    if (resources.nano_cpus > 0 && (resources.cpu_period > 0 || resources.cpu_quota > 0))
        return Error::invalid("Conflicting options: Nano CPUs and CPU Period cannot both be set");
    if (resources.cpu_quota > 0 && resources.cpu_quota < 1000)
        return Error::invalid("CPU cfs quota can not be less than 1ms (i.e. 1000)");
    if (resources.cpu_period > 0 && resources.cpu_period < 1000)
        return Error::invalid("CPU cfs period can not be less than 1ms (i.e. 1000)");
    for (const auto& mount : host.mounts) {
        if (mount.target == "/")
            return Error::invalid("invalid mount: the destination cannot be '/'");
    }
    return {};
}

}  // namespace corral::api
