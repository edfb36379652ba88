#include "runtime/oci_spec.h"

#include <nlohmann/json.hpp>

namespace corral::runtime::oci {

namespace {

nlohmann::json user_json(const User& user) {
    nlohmann::json json = {{"uid", user.uid}, {"gid", user.gid}};
    if (!user.additional_gids.empty())
        json["additionalGids"] = user.additional_gids;
    return json;
}

nlohmann::json capabilities_json(const Capabilities& capabilities) {
    return {{"bounding", capabilities.bounding},
            {"effective", capabilities.effective},
            {"inheritable", capabilities.inheritable},
            {"permitted", capabilities.permitted},
            {"ambient", capabilities.ambient}};
}

nlohmann::json resources_json(const Resources& resources) {
    nlohmann::json json = nlohmann::json::object();
    if (!resources.devices.empty()) {
        nlohmann::json devices = nlohmann::json::array();
        for (const auto& rule : resources.devices) {
            nlohmann::json entry = {{"allow", rule.allow}, {"access", rule.access}};
            if (!rule.type.empty())
                entry["type"] = rule.type;
            if (rule.major)
                entry["major"] = *rule.major;
            if (rule.minor)
                entry["minor"] = *rule.minor;
            devices.push_back(std::move(entry));
        }
        json["devices"] = std::move(devices);
    }
    if (resources.memory_limit || resources.memory_swap) {
        nlohmann::json memory = nlohmann::json::object();
        if (resources.memory_limit)
            memory["limit"] = *resources.memory_limit;
        if (resources.memory_swap)
            memory["swap"] = *resources.memory_swap;
        json["memory"] = std::move(memory);
    }
    if (resources.cpu_quota || resources.cpu_period || !resources.cpuset_cpus.empty()) {
        nlohmann::json cpu = nlohmann::json::object();
        if (resources.cpu_quota)
            cpu["quota"] = *resources.cpu_quota;
        if (resources.cpu_period)
            cpu["period"] = *resources.cpu_period;
        if (!resources.cpuset_cpus.empty())
            cpu["cpus"] = resources.cpuset_cpus;
        json["cpu"] = std::move(cpu);
    }
    if (resources.pids_limit)
        json["pids"] = {{"limit", *resources.pids_limit}};
    if (!resources.unified.empty())
        json["unified"] = resources.unified;
    return json;
}

}  // namespace

nlohmann::json to_json(const Process& process) {
    nlohmann::json json = {
        {"terminal", process.terminal},
        {"user", user_json(process.user)},
        {"args", process.args},
        {"env", process.env},
        {"cwd", process.cwd},
        {"capabilities", capabilities_json(process.capabilities)},
        {"noNewPrivileges", process.no_new_privileges},
    };
    if (process.console_size)
        json["consoleSize"] = {{"height", process.console_size->height},
                               {"width", process.console_size->width}};
    return json;
}

nlohmann::json to_json(const Spec& spec) {
    nlohmann::json mounts = nlohmann::json::array();
    for (const auto& mount : spec.mounts) {
        nlohmann::json entry = {
            {"destination", mount.destination}, {"type", mount.type}, {"source", mount.source}};
        if (!mount.options.empty())
            entry["options"] = mount.options;
        mounts.push_back(std::move(entry));
    }
    nlohmann::json namespaces = nlohmann::json::array();
    for (const auto& name_space : spec.linux_section.namespaces) {
        nlohmann::json entry = {{"type", name_space.type}};
        if (!name_space.path.empty())
            entry["path"] = name_space.path;
        namespaces.push_back(std::move(entry));
    }
    nlohmann::json devices = nlohmann::json::array();
    for (const auto& device : spec.linux_section.devices) {
        devices.push_back({{"path", device.path},
                           {"type", device.type},
                           {"major", device.major},
                           {"minor", device.minor},
                           {"fileMode", device.file_mode},
                           {"uid", device.uid},
                           {"gid", device.gid}});
    }
    nlohmann::json linux_json = {
        {"namespaces", std::move(namespaces)},
        {"devices", std::move(devices)},
        {"resources", resources_json(spec.linux_section.resources)},
        {"maskedPaths", spec.linux_section.masked_paths},
        {"readonlyPaths", spec.linux_section.readonly_paths},
    };
    if (!spec.linux_section.cgroups_path.empty())
        linux_json["cgroupsPath"] = spec.linux_section.cgroups_path;
    if (!spec.linux_section.seccomp.empty())
        linux_json["seccomp"] = nlohmann::json::parse(spec.linux_section.seccomp, nullptr, false);
    if (!spec.linux_section.sysctl.empty())
        linux_json["sysctl"] = spec.linux_section.sysctl;
    if (!spec.linux_section.rootfs_propagation.empty())
        linux_json["rootfsPropagation"] = spec.linux_section.rootfs_propagation;
    if (!spec.linux_section.personality_domain.empty())
        linux_json["personality"] = {{"domain", spec.linux_section.personality_domain}};
    nlohmann::json json = {
        {"ociVersion", spec.oci_version},
        {"process", to_json(spec.process)},
        {"root", {{"path", spec.root_path}, {"readonly", spec.root_readonly}}},
        {"mounts", std::move(mounts)},
        {"linux", std::move(linux_json)},
    };
    if (!spec.hostname.empty())
        json["hostname"] = spec.hostname;
    if (!spec.domainname.empty())
        json["domainname"] = spec.domainname;
    if (!spec.annotations.empty())
        json["annotations"] = spec.annotations;
    return json;
}

}  // namespace corral::runtime::oci
