#include "api/json_out.h"
#include "engine/restart_policy.h"

#include <time.h>

#include <algorithm>
#include <cstdio>

namespace corral::api {

namespace {

using nlohmann::json;

json strings_or_null(const std::vector<std::string>& list) {
    return list.empty() ? json(nullptr) : json(list);
}

json optional_strings(const std::optional<std::vector<std::string>>& list) {
    return list ? json(*list) : json(nullptr);
}

json labels_json(const std::map<std::string, std::string>& labels) {
    json object = json::object();
    for (const auto& [key, value] : labels)
        object[key] = value;
    return object;
}

const char* mount_type(engine::MountSpec::Type type) {
    switch (type) {
        case engine::MountSpec::Type::bind:
            return "bind";
        case engine::MountSpec::Type::tmpfs:
            return "tmpfs";
        case engine::MountSpec::Type::volume:
            return "volume";
    }
    return "bind";
}

std::string network_mode(const engine::HostConfig& host) {
    return host.network_mode.empty() || host.network_mode == "default" ? "bridge"
                                                                       : host.network_mode;
}

// As dockerd lists it: the path, then the arguments, one with a space in single quotes.
std::string command_text(const engine::Container& container) {
    std::string text = container.path;
    for (const auto& arg : container.args) {
        text += ' ';
        if (arg.find(' ') != std::string::npos)
            text += "'" + arg + "'";
        else
            text += arg;
    }
    return text;
}

json host_config_json(const engine::HostConfig& host) {
    json binds = json::array();
    json mounts = json::array();
    json tmpfs = json::object();
    for (const auto& mount : host.mounts) {
        if (mount.type == engine::MountSpec::Type::tmpfs) {
            tmpfs[mount.target] = mount.options;
            continue;
        }
        std::string bind = mount.source + ":" + mount.target;
        std::string options = mount.read_only ? "ro" : "";
        if (!mount.propagation.empty())
            options += (options.empty() ? "" : ",") + mount.propagation;
        if (!options.empty())
            bind += ":" + options;
        if (mount.create_source || mount.source.empty())
            binds.push_back(bind);
        else
            mounts.push_back({{"Type", mount_type(mount.type)},
                              {"Source", mount.source},
                              {"Target", mount.target},
                              {"ReadOnly", mount.read_only}});
    }
    json devices = json::array();
    for (const auto& device : host.devices)
        devices.push_back({{"PathOnHost", device.host_path},
                           {"PathInContainer", device.container_path},
                           {"CgroupPermissions", device.permissions}});
    json log_config = json::object();
    for (const auto& [key, value] : host.log_config.options)
        log_config[key] = value;
    // Records written before the options were kept: the values in docker's units.
    if (host.log_config.options.empty() && host.log_config.max_size)
        log_config["max-size"] = std::to_string(host.log_config.max_size);
    if (host.log_config.options.empty() && host.log_config.max_file > 1)
        log_config["max-file"] = std::to_string(host.log_config.max_file);
    const auto& resources = host.resources;
    return {
        {"Binds", binds.empty() ? json(nullptr) : binds},
        {"ContainerIDFile", ""},
        {"LogConfig", {{"Type", host.log_config.type}, {"Config", log_config}}},
        {"NetworkMode", network_mode(host)},
        {"PortBindings", json::object()},
        {"RestartPolicy",
         {{"Name", engine::restart_policy_name(host.restart_policy.name)},
          {"MaximumRetryCount", host.restart_policy.maximum_retry_count}}},
        {"AutoRemove", host.auto_remove},
        {"VolumeDriver", ""},
        {"VolumesFrom", strings_or_null(host.volumes_from)},
        {"CapAdd", strings_or_null(host.cap_add)},
        {"CapDrop", strings_or_null(host.cap_drop)},
        {"SecurityOpt", strings_or_null(host.security_opt)},
        {"CgroupnsMode", "private"},
        {"Dns", host.dns},
        {"DnsOptions", json::array()},
        {"DnsSearch", host.dns_search},
        {"ExtraHosts", strings_or_null(host.extra_hosts)},
        {"GroupAdd", strings_or_null(host.group_add)},
        {"IpcMode", host.ipc_mode.empty() ? "private" : host.ipc_mode},
        {"Cgroup", ""},
        {"Links", nullptr},
        {"OomScoreAdj", 0},
        {"PidMode", host.pid_mode},
        {"Privileged", host.privileged},
        {"PublishAllPorts", false},
        {"ReadonlyRootfs", host.read_only_rootfs},
        {"SecurityOpt", nullptr},
        {"Tmpfs", tmpfs.empty() ? json(nullptr) : tmpfs},
        {"UTSMode", host.uts_mode},
        {"UsernsMode", ""},
        {"ShmSize", host.shm_size ? host.shm_size : int64_t{64} << 20},
        {"Sysctls", host.sysctls.empty() ? json(nullptr) : labels_json(host.sysctls)},
        {"Runtime", "crun"},
        {"ConsoleSize", {host.console_size.height, host.console_size.width}},
        {"Isolation", ""},
        {"CpuShares", resources.cpu_shares},
        {"Memory", resources.memory},
        {"NanoCpus", resources.nano_cpus},
        {"CgroupParent", ""},
        {"CpuPeriod", resources.cpu_period},
        {"CpuQuota", resources.cpu_quota},
        {"CpusetCpus", resources.cpuset_cpus},
        {"CpusetMems", ""},
        {"Devices", devices},
        {"MemorySwap", resources.memory_swap},
        {"PidsLimit", resources.pids_limit ? json(resources.pids_limit) : json(nullptr)},
        {"Mounts", mounts.empty() ? json(nullptr) : mounts},
        {"Init", host.init ? json(true) : json(nullptr)},
    };
}

json config_json(const engine::Container& container) {
    const auto& config = container.config;
    return {
        {"Hostname", config.hostname.empty() ? container.id.substr(0, 12) : config.hostname},
        {"Domainname", config.domainname},
        {"User", config.user},
        {"AttachStdin", config.attach_stdin},
        {"AttachStdout", config.attach_stdout},
        {"AttachStderr", config.attach_stderr},
        {"Tty", config.tty},
        {"OpenStdin", config.open_stdin},
        {"StdinOnce", config.stdin_once},
        {"Env", strings_or_null(config.env)},
        {"Cmd", optional_strings(config.cmd)},
        {"Image", config.image},
        {"Volumes", nullptr},
        {"WorkingDir", config.working_dir},
        {"Entrypoint", optional_strings(config.entrypoint)},
        {"OnBuild", nullptr},
        {"Labels", labels_json(config.labels)},
        {"StopSignal", config.stop_signal.empty() ? json(nullptr) : json(config.stop_signal)},
        {"StopTimeout", config.stop_timeout ? json(*config.stop_timeout) : json(nullptr)},
    };
}

}  // namespace

std::string rfc3339_nano(int64_t ns) {
    if (ns <= 0)
        return "0001-01-01T00:00:00Z";
    time_t seconds = static_cast<time_t>(ns / 1'000'000'000);
    int64_t fraction = ns % 1'000'000'000;
    tm parts{};
    ::gmtime_r(&seconds, &parts);
    char text[64];
    int length =
        std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d", parts.tm_year + 1900,
                      parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec);
    std::string out(text, static_cast<size_t>(length));
    if (fraction) {
        char digits[16];
        std::snprintf(digits, sizeof(digits), "%09lld", static_cast<long long>(fraction));
        std::string trimmed(digits);
        while (!trimmed.empty() && trimmed.back() == '0')
            trimmed.pop_back();
        out += "." + trimmed;
    }
    return out + "Z";
}

std::string human_duration(int64_t ns) {
    int64_t seconds = ns / 1'000'000'000;
    if (seconds < 1)
        return "Less than a second";
    if (seconds == 1)
        return "1 second";
    if (seconds < 60)
        return std::to_string(seconds) + " seconds";
    int64_t minutes = seconds / 60;
    if (minutes == 1)
        return "About a minute";
    if (minutes < 60)
        return std::to_string(minutes) + " minutes";
    int64_t hours = (seconds + 1800) / 3600;
    if (hours == 1)
        return "About an hour";
    if (hours < 48)
        return std::to_string(hours) + " hours";
    if (hours < 24 * 7 * 2)
        return std::to_string(hours / 24) + " days";
    if (hours < 24 * 30 * 2)
        return std::to_string(hours / 24 / 7) + " weeks";
    if (hours < 24 * 365 * 2)
        return std::to_string(hours / 24 / 30) + " months";
    return std::to_string(seconds / 3600 / 24 / 365) + " years";
}

std::string status_text(const engine::ContainerState& state, int64_t now_ns) {
    using engine::Status;
    switch (state.status) {
        case Status::created:
            return "Created";
        case Status::running:
            return "Up " + human_duration(now_ns - state.started_at_ns);
        case Status::paused:
            return "Up " + human_duration(now_ns - state.started_at_ns) + " (Paused)";
        case Status::restarting:
            return "Restarting (" + std::to_string(state.exit_code) + ") " +
                   human_duration(now_ns - state.finished_at_ns) + " ago";
        case Status::removing:
            return "Removal In Progress";
        case Status::exited:
            if (state.finished_at_ns <= 0)
                return "Exited (" + std::to_string(state.exit_code) + ")";
            return "Exited (" + std::to_string(state.exit_code) + ") " +
                   human_duration(now_ns - state.finished_at_ns) + " ago";
        case Status::dead:
            return "Dead";
    }
    return "";
}

nlohmann::json container_inspect_json(const engine::Container& container) {
    const auto& state = container.state;
    json mounts = json::array();
    for (const auto& mount : container.mounts) {
        json entry = {{"Type", mount_type(mount.type)},   {"Source", mount.source},
                      {"Destination", mount.destination}, {"Mode", mount.read_only ? "ro" : ""},
                      {"RW", !mount.read_only},           {"Propagation", mount.propagation}};
        if (!mount.name.empty()) {
            entry["Name"] = mount.name;
            entry["Driver"] = "local";
        }
        mounts.push_back(entry);
    }
    std::string network = network_mode(container.host_config);
    json networks = json::object();
    networks[network] = {{"NetworkID", ""},  {"EndpointID", ""},   {"Gateway", ""},
                         {"IPAddress", ""},  {"IPPrefixLen", 0},   {"IPv6Gateway", ""},
                         {"MacAddress", ""}, {"Aliases", nullptr}, {"Links", nullptr}};
    std::string error = state.error;
    return {
        {"Id", container.id},
        {"Created", rfc3339_nano(container.created_ns)},
        {"Path", container.path},
        {"Args", container.args},
        {"State",
         {{"Status", engine::status_name(state.status)},
          {"Running",
           state.status == engine::Status::running || state.status == engine::Status::paused},
          {"Paused", state.status == engine::Status::paused},
          {"Restarting", state.status == engine::Status::restarting},
          {"OOMKilled", state.oom_killed},
          {"Dead", state.status == engine::Status::dead},
          {"Pid", state.pid},
          {"ExitCode", state.exit_code},
          {"Error", error},
          {"StartedAt", rfc3339_nano(state.started_at_ns)},
          {"FinishedAt", rfc3339_nano(state.finished_at_ns)}}},
        {"Image", container.image_id},
        {"ResolvConfPath", ""},
        {"HostnamePath", ""},
        {"HostsPath", ""},
        {"LogPath", container.log_path},
        {"Name", "/" + container.name},
        {"RestartCount", state.restart_count},
        {"Driver", "overlay2"},
        {"Platform", "linux"},
        {"MountLabel", ""},
        {"ProcessLabel", ""},
        {"AppArmorProfile", ""},
        {"ExecIDs", strings_or_null(container.exec_ids)},
        {"HostConfig", host_config_json(container.host_config)},
        {"GraphDriver", {{"Name", "overlay2"}, {"Data", nullptr}}},
        {"Mounts", mounts},
        {"Config", config_json(container)},
        {"NetworkSettings",
         {{"Bridge", ""},
          {"SandboxID", ""},
          {"HairpinMode", false},
          {"LinkLocalIPv6Address", ""},
          {"LinkLocalIPv6PrefixLen", 0},
          {"Ports", json::object()},
          {"SandboxKey", ""},
          {"SecondaryIPAddresses", nullptr},
          {"SecondaryIPv6Addresses", nullptr},
          {"EndpointID", ""},
          {"Gateway", ""},
          {"GlobalIPv6Address", ""},
          {"GlobalIPv6PrefixLen", 0},
          {"IPAddress", ""},
          {"IPPrefixLen", 0},
          {"IPv6Gateway", ""},
          {"MacAddress", ""},
          {"Networks", networks}}},
    };
}

nlohmann::json container_summary_json(const engine::Container& container, int64_t now_ns) {
    json mounts = json::array();
    for (const auto& mount : container.mounts)
        mounts.push_back({{"Type", mount_type(mount.type)},
                          {"Name", mount.name},
                          {"Source", mount.source},
                          {"Destination", mount.destination},
                          {"Mode", mount.read_only ? "ro" : ""},
                          {"RW", !mount.read_only},
                          {"Propagation", mount.propagation}});
    std::string network = network_mode(container.host_config);
    json networks = json::object();
    networks[network] = {{"NetworkID", ""}, {"EndpointID", ""}, {"Gateway", ""},
                         {"IPAddress", ""}, {"IPPrefixLen", 0}, {"MacAddress", ""}};
    return {
        {"Id", container.id},
        {"Names", json::array({"/" + container.name})},
        {"Image", container.config.image},
        {"ImageID", container.image_id},
        {"Command", command_text(container)},
        {"Created", container.created_ns / 1'000'000'000},
        {"Ports", json::array()},
        {"Labels", labels_json(container.config.labels)},
        {"State", engine::status_name(container.state.status)},
        {"Status", status_text(container.state, now_ns)},
        {"HostConfig", {{"NetworkMode", network}}},
        {"NetworkSettings", {{"Networks", networks}}},
        {"Mounts", mounts},
    };
}

nlohmann::json image_summary_json(const image::Image& image) {
    return {
        {"Id", image.id},
        {"ParentId", image.parent},
        {"RepoTags", image.repo_tags},
        {"RepoDigests", image.repo_digests},
        {"Created", image.created},
        {"Size", image.size},
        {"SharedSize", -1},
        {"VirtualSize", image.size},
        {"Labels", image.config.labels.empty() ? json(nullptr) : labels_json(image.config.labels)},
        {"Containers", -1},
    };
}

nlohmann::json image_inspect_json(const image::Image& image) {
    const auto& config = image.config;
    json exposed = json::object();
    for (const auto& port : config.exposed_ports)
        exposed[port] = json::object();
    json volumes = json::object();
    for (const auto& volume : config.volumes)
        volumes[volume] = json::object();
    json container_config = {
        {"Hostname", ""},
        {"Domainname", ""},
        {"User", config.user},
        {"AttachStdin", false},
        {"AttachStdout", false},
        {"AttachStderr", false},
        {"ExposedPorts", exposed.empty() ? json(nullptr) : exposed},
        {"Tty", false},
        {"OpenStdin", false},
        {"StdinOnce", false},
        {"Env", strings_or_null(config.env)},
        {"Cmd", optional_strings(config.cmd)},
        {"Image", ""},
        {"Volumes", volumes.empty() ? json(nullptr) : volumes},
        {"WorkingDir", config.working_dir},
        {"Entrypoint", optional_strings(config.entrypoint)},
        {"OnBuild", nullptr},
        {"Labels", config.labels.empty() ? json(nullptr) : labels_json(config.labels)},
    };
    if (!config.stop_signal.empty())
        container_config["StopSignal"] = config.stop_signal;
    json result = {
        {"Id", image.id},
        {"RepoTags", image.repo_tags},
        {"RepoDigests", image.repo_digests},
        {"Parent", image.parent},
        {"Comment", config.comment},
        {"Created",
         config.created.empty() ? rfc3339_nano(image.created * 1'000'000'000) : config.created},
        {"Container", ""},
        {"DockerVersion", ""},
        {"Author", config.author},
        {"Config", container_config},
        {"Architecture", config.architecture},
        {"Os", config.os},
        {"Size", image.size},
        {"VirtualSize", image.size},
        {"GraphDriver", {{"Name", "overlay2"}, {"Data", nullptr}}},
        {"RootFS", {{"Type", "layers"}, {"Layers", config.diff_ids}}},
        {"Metadata", {{"LastTagTime", "0001-01-01T00:00:00Z"}}},
    };
    if (!config.variant.empty())
        result["Variant"] = config.variant;
    return result;
}

nlohmann::json image_history_json(const image::Image& image) {
    json list = json::array();
    const auto& history = image.config.history;
    // Newest first; the top entry carries the image id and its tags.
    for (size_t i = history.size(); i-- > 0;) {
        const auto& entry = history[i];
        bool top = i + 1 == history.size();
        int64_t created = 0;
        if (!entry.created.empty()) {
            tm parts{};
            if (::strptime(entry.created.c_str(), "%Y-%m-%dT%H:%M:%S", &parts))
                created = static_cast<int64_t>(::timegm(&parts));
        }
        list.push_back(
            {{"Id", top ? image.id : "<missing>"},
             {"Created", created},
             {"CreatedBy", entry.created_by},
             {"Tags", top && !image.repo_tags.empty() ? json(image.repo_tags) : json(nullptr)},
             {"Size", 0},
             {"Comment", entry.comment}});
    }
    if (list.empty())
        list.push_back({{"Id", image.id},
                        {"Created", image.created},
                        {"CreatedBy", ""},
                        {"Tags", strings_or_null(image.repo_tags)},
                        {"Size", image.size},
                        {"Comment", image.config.comment}});
    return list;
}

nlohmann::json exec_inspect_json(const engine::ExecInfo& exec) {
    const auto& config = exec.config;
    std::string entrypoint = config.cmd.empty() ? "" : config.cmd.front();
    std::vector<std::string> arguments;
    if (config.cmd.size() > 1)
        arguments.assign(config.cmd.begin() + 1, config.cmd.end());
    return {
        {"ID", exec.id},
        {"Running", exec.running},
        {"ExitCode", exec.exit_code ? json(*exec.exit_code) : json(nullptr)},
        {"ProcessConfig",
         {{"tty", config.tty},
          {"entrypoint", entrypoint},
          {"arguments", arguments},
          {"privileged", config.privileged},
          {"user", config.user}}},
        {"OpenStdin", exec.open_stdin},
        {"OpenStderr", exec.open_stderr},
        {"OpenStdout", exec.open_stdout},
        {"CanRemove", false},
        {"ContainerID", exec.container_id},
        {"DetachKeys", config.detach_keys},
        {"Pid", exec.pid},
    };
}

nlohmann::json event_json(const engine::Event& event) {
    json attributes = json::object();
    for (const auto& [key, value] : event.attributes)
        attributes[key] = value;
    json message = {
        {"Type", event.type},
        {"Action", event.action},
        {"Actor", {{"ID", event.id}, {"Attributes", attributes}}},
        {"scope", "local"},
        {"time", event.time_ns / 1'000'000'000},
        {"timeNano", event.time_ns},
    };
    if (event.type == "container" || event.type == "image") {
        message["status"] = event.action;
        message["id"] = event.id;
        if (event.type == "container") {
            auto image = event.attributes.find("image");
            if (image != event.attributes.end())
                message["from"] = image->second;
        }
    }
    return message;
}

nlohmann::json progress_json(const image::ProgressRecord& record) {
    json line = {{"status", record.status}};
    if (!record.id.empty())
        line["id"] = record.id;
    if (record.current || record.total) {
        json detail = {{"current", record.current}};
        if (record.total)
            detail["total"] = record.total;
        line["progressDetail"] = detail;
    }
    if (!record.progress.empty())
        line["progress"] = record.progress;
    return line;
}

nlohmann::json registry_config_json(const image::InsecureRegistryList& insecure) {
    auto index = [](const std::string& name, bool secure, bool official) {
        return json{
            {"Name", name}, {"Mirrors", json::array()}, {"Secure", secure}, {"Official", official}};
    };
    // The configured ranges, then the loopback ones, as dockerd orders them.
    json ranges = json::array();
    for (const auto& range : insecure.ranges)
        ranges.push_back(range);
    for (const char* loopback : {"::1/128", "127.0.0.0/8"}) {
        if (std::find(insecure.ranges.begin(), insecure.ranges.end(), loopback) ==
            insecure.ranges.end())
            ranges.push_back(loopback);
    }
    json indexes = {{"docker.io", index("docker.io", true, true)}};
    for (const auto& name : insecure.names)
        indexes[name] = index(name, false, name == "docker.io");
    return {{"AllowNondistributableArtifactsCIDRs", json::array()},
            {"AllowNondistributableArtifactsHostnames", json::array()},
            {"InsecureRegistryCIDRs", ranges},
            {"IndexConfigs", indexes},
            {"Mirrors", json::array()}};
}

std::string dump(const nlohmann::json& value) {
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace corral::api
