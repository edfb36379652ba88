#include "compose/container.h"

#include "engine/restart_policy.h"
#include "image/digest.h"

namespace corral::compose {

namespace {

using Json = nlohmann::ordered_json;

Json mount_json(const engine::MountSpec& mount) {
    bool bind = mount.type == engine::MountSpec::Type::bind;
    Json out = {{"Type", bind ? "bind" : "volume"},
                {"Source", mount.source},
                {"Target", mount.target},
                {"ReadOnly", mount.read_only}};
    if (bind && !mount.propagation.empty())
        out["BindOptions"] = {{"Propagation", mount.propagation}};
    return out;
}

// "src:dst[:ro,propagation]" for a bind whose missing source the engine creates.
std::string bind_text(const engine::MountSpec& mount) {
    std::string text = mount.source + ":" + mount.target;
    std::string options = mount.read_only ? "ro" : "";
    if (!mount.propagation.empty())
        options += (options.empty() ? "" : ",") + mount.propagation;
    if (!options.empty())
        text += ":" + options;
    return text;
}

Json host_config_json(const engine::HostConfig& host) {
    Json binds = Json::array();
    Json mounts = Json::array();
    Json tmpfs = Json::object();
    for (const auto& mount : host.mounts) {
        if (mount.type == engine::MountSpec::Type::tmpfs)
            tmpfs[mount.target] = mount.options;
        else if (mount.type == engine::MountSpec::Type::bind && mount.create_source)
            binds.push_back(bind_text(mount));
        else
            mounts.push_back(mount_json(mount));
    }
    Json devices = Json::array();
    for (const auto& device : host.devices)
        devices.push_back({{"PathOnHost", device.host_path},
                           {"PathInContainer", device.container_path},
                           {"CgroupPermissions", device.permissions}});
    Json log_options = Json::object();
    if (host.log_config.max_size)
        log_options["max-size"] = std::to_string(host.log_config.max_size);
    if (host.log_config.max_file > 1)
        log_options["max-file"] = std::to_string(host.log_config.max_file);
    Json sysctls = Json::object();
    for (const auto& [key, value] : host.sysctls)
        sysctls[key] = value;
    const auto& resources = host.resources;
    Json out = {
        {"Binds", binds},
        {"Mounts", mounts},
        {"Tmpfs", tmpfs},
        {"VolumesFrom", host.volumes_from},
        {"ReadonlyRootfs", host.read_only_rootfs},
        {"Privileged", host.privileged},
        {"CapAdd", host.cap_add},
        {"CapDrop", host.cap_drop},
        {"Devices", devices},
        {"NetworkMode", host.network_mode},
        {"PidMode", host.pid_mode},
        {"IpcMode", host.ipc_mode},
        {"UTSMode", host.uts_mode},
        {"RestartPolicy",
         {{"Name", engine::restart_policy_name(host.restart_policy.name)},
          {"MaximumRetryCount", host.restart_policy.maximum_retry_count}}},
        {"AutoRemove", host.auto_remove},
        {"LogConfig", {{"Type", host.log_config.type}, {"Config", log_options}}},
        {"Sysctls", sysctls},
        {"ExtraHosts", host.extra_hosts},
        {"Dns", host.dns},
        {"DnsSearch", host.dns_search},
        {"GroupAdd", host.group_add},
        {"ShmSize", host.shm_size},
        {"Memory", resources.memory},
        {"MemorySwap", resources.memory_swap},
        {"NanoCpus", resources.nano_cpus},
        {"CpuShares", resources.cpu_shares},
        {"CpuQuota", resources.cpu_quota},
        {"CpuPeriod", resources.cpu_period},
        {"CpusetCpus", resources.cpuset_cpus},
        {"PidsLimit", resources.pids_limit},
    };
    // Docker's Init is a tri-state (*bool): only an explicit true asks for it.
    if (host.init)
        out["Init"] = true;
    return out;
}

}  // namespace

Json create_body(const engine::CreateRequest& request) {
    const auto& config = request.config;
    Json body = {
        {"Image", config.image},
        {"Hostname", config.hostname},
        {"Domainname", config.domainname},
        {"User", config.user},
        {"Env", config.env},
        {"WorkingDir", config.working_dir},
        {"Labels", Json(config.labels)},
        {"Tty", config.tty},
        {"OpenStdin", config.open_stdin},
        {"StdinOnce", config.stdin_once},
        {"AttachStdin", config.attach_stdin},
        {"AttachStdout", config.attach_stdout},
        {"AttachStderr", config.attach_stderr},
    };
    if (config.cmd)
        body["Cmd"] = *config.cmd;
    if (config.entrypoint)
        body["Entrypoint"] = *config.entrypoint;
    if (!config.stop_signal.empty())
        body["StopSignal"] = config.stop_signal;
    if (config.stop_timeout)
        body["StopTimeout"] = *config.stop_timeout;
    body["HostConfig"] = host_config_json(request.host_config);
    return body;
}

std::string definition_hash(const engine::CreateRequest& request) {
    engine::CreateRequest copy = request;
    copy.config.labels.erase(std::string(hash_label));
    // The name is part of what the container is: a renamed container_name is a new one.
    return image::sha256_digest(copy.name + "\n" + create_body(copy).dump());
}

engine::CreateRequest container_request(const Service& service) {
    engine::CreateRequest request = service.request;
    request.config.labels[std::string(hash_label)] = definition_hash(service.request);
    return request;
}

}  // namespace corral::compose
