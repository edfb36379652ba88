// config.json generation: process, namespaces, mounts, capabilities, resources.
//
// The seccomp profile comes from the engine (engine/seccomp.h). Everything else follows
// docker's defaults.
#include <nlohmann/json.hpp>

#include <algorithm>

#include "base/fs.h"
#include "base/sys.h"
#include "runtime/capabilities.h"
#include "runtime/seccomp_bpf.h"
#include "runtime/spec_parts.h"
#include "runtime/user.h"

namespace corral::runtime {

namespace {

bool has_env(const std::vector<std::string>& env, std::string_view key) {
    for (const auto& entry : env)
        if (entry.size() > key.size() && entry.starts_with(key) && entry[key.size()] == '=')
            return true;
    return false;
}

// A namespace per docker mode: "host" shares ours (no entry), "container:NAME" joins the path
// the engine gives, anything else is new: the one the engine made ahead when it gives a path,
// else one crun makes.
ErrorOr<void> add_namespace(const BundleRequest& request, const std::string& type,
                            const std::string& mode, std::vector<oci::Namespace>& namespaces) {
    if (mode == "host")
        return {};
    auto found = request.namespace_paths.find(type);
    bool given = found != request.namespace_paths.end() && !found->second.empty();
    if (mode.starts_with("container:") && !given)
        return Error::invalid("no " + type + " namespace path given for " + type + " mode `" +
                              mode + "`");
    namespaces.push_back({type, given ? found->second : ""});
    return {};
}

std::vector<std::string> split_options(const std::string& options) {
    std::vector<std::string> result;
    size_t start = 0;
    while (start <= options.size()) {
        size_t end = options.find(',', start);
        if (end == std::string::npos)
            end = options.size();
        if (end > start)
            result.push_back(options.substr(start, end - start));
        start = end + 1;
    }
    return result;
}

bool valid_propagation(const std::string& propagation) {
    return propagation.empty() || propagation == "private" || propagation == "rprivate" ||
           propagation == "shared" || propagation == "rshared" || propagation == "slave" ||
           propagation == "rslave";
}

ErrorOr<void> add_mounts(const BundleRequest& request, oci::Spec& spec) {
    const auto& host = request.host_config;
    bool privileged = host.privileged;
    auto& mounts = spec.mounts;
    mounts.push_back({"/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}});
    if (uses_host_dev(host))
        mounts.push_back({"/dev", "bind", "/dev", {"rbind", "rprivate", "rw", "nosuid"}});
    else
        mounts.push_back(
            {"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}});
    mounts.push_back({"/dev/pts",
                      "devpts",
                      "devpts",
                      {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}});
    mounts.push_back(
        {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", privileged ? "rw" : "ro"}});
    mounts.push_back({"/sys/fs/cgroup",
                      "cgroup",
                      "cgroup",
                      {"nosuid", "noexec", "nodev", "relatime", privileged ? "rw" : "ro"}});
    if (host.ipc_mode == "host") {
        mounts.push_back({"/dev/shm", "bind", "/dev/shm", {"rbind", "rprivate", "rw"}});
        // The host's message queues: its mqueue mount, or a fresh one of the (shared) IPC
        // namespace when the host has none mounted.
        auto host_mqueue = sys::stat_if_exists("/dev/mqueue");
        if (host_mqueue && host_mqueue->has_value())
            mounts.push_back({"/dev/mqueue", "bind", "/dev/mqueue", {"rbind", "rprivate", "rw"}});
        else
            mounts.push_back({"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}});
    } else {
        int64_t shm_size = host.shm_size > 0 ? host.shm_size : 64 << 20;
        mounts.push_back(
            {"/dev/shm",
             "tmpfs",
             "shm",
             {"nosuid", "noexec", "nodev", "mode=1777", "size=" + std::to_string(shm_size)}});
        mounts.push_back({"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}});
    }
    // The /etc files the runtime writes in the exec root dir (prepare_bundle).
    for (const char* name : {"hostname", "hosts", "resolv.conf"}) {
        mounts.push_back({std::string("/etc/") + name,
                          "bind",
                          fs::join(request.exec_root_dir, name),
                          {"rbind", "rprivate", host.read_only_rootfs ? "ro" : "rw"}});
    }
    for (const auto& mount : host.mounts) {
        if (mount.target.empty() || mount.target.front() != '/')
            return Error::invalid("invalid mount target `" + mount.target +
                                  "`: must be an absolute path");
        if (!valid_propagation(mount.propagation))
            return Error::invalid("invalid propagation mode: " + mount.propagation);
        switch (mount.type) {
            case engine::MountSpec::Type::bind:
            case engine::MountSpec::Type::volume: {
                std::string source = mount.source;
                if (mount.type == engine::MountSpec::Type::volume) {
                    auto found = request.volume_dirs.find(mount.source);
                    if (found == request.volume_dirs.end())
                        return Error::not_found("no such volume: " + mount.source);
                    source = found->second;
                }
                if (source.empty() || source.front() != '/')
                    return Error::invalid("invalid bind source `" + source +
                                          "`: must be an absolute path");
                std::string propagation =
                    mount.propagation.empty() ? "rprivate" : mount.propagation;
                mounts.push_back({mount.target,
                                  "bind",
                                  source,
                                  {"rbind", mount.read_only ? "ro" : "rw", propagation}});
                break;
            }
            case engine::MountSpec::Type::tmpfs: {
                std::vector<std::string> options = {"nosuid", "nodev", "noexec"};
                for (auto& option : split_options(mount.options)) {
                    // Docker lets "exec" undo the default noexec.
                    if (option == "exec")
                        std::erase(options, std::string("noexec"));
                    options.push_back(std::move(option));
                }
                if (mount.read_only)
                    options.push_back("ro");
                mounts.push_back({mount.target, "tmpfs", "tmpfs", std::move(options)});
                break;
            }
        }
    }
    // Shared or slave bind mounts need the container's root to propagate too.
    std::string root_propagation = "rprivate";
    for (const auto& mount : host.mounts) {
        if (mount.propagation == "shared" || mount.propagation == "rshared")
            root_propagation = "rshared";
        else if ((mount.propagation == "slave" || mount.propagation == "rslave") &&
                 root_propagation == "rprivate")
            root_propagation = "rslave";
    }
    spec.linux_section.rootfs_propagation = root_propagation;
    return {};
}

}  // namespace

bool uses_host_dev(const engine::HostConfig& host) {
    if (!host.privileged || !host.devices.empty())
        return false;
    return std::any_of(host.mounts.begin(), host.mounts.end(), [](const auto& mount) {
        return mount.type == engine::MountSpec::Type::bind &&
               (mount.source == "/dev" || mount.source == "/dev/");
    });
}

ErrorOr<GeneratedSpec> generate_spec(const BundleRequest& request, const RuntimeOptions& options,
                                     const std::string& rootfs) {
    const auto& config = request.config;
    const auto& host = request.host_config;
    if (request.path.empty())
        return Error::invalid("no command specified");
    GeneratedSpec generated;
    oci::Spec spec;

    auto user = TRY(resolve_user_in_rootfs(rootfs, config.user, host.group_add));
    auto& process = spec.process;
    process.terminal = config.tty;
    process.user = {user.uid, user.gid, user.additional_gids};
    process.args.push_back(request.path);
    process.args.insert(process.args.end(), request.args.begin(), request.args.end());
    process.env = request.env;
    if (!has_env(process.env, "HOME"))
        process.env.push_back("HOME=" + user.home);
    process.cwd = request.working_dir.empty() ? "/" : request.working_dir;
    if (process.cwd.front() != '/')
        return Error::invalid("the working directory '" + process.cwd +
                              "' is invalid, it needs to be an absolute path");
    auto capabilities = TRY(compute_capabilities(host.privileged, host.cap_add, host.cap_drop));
    process.capabilities.bounding = capabilities;
    process.capabilities.effective = capabilities;
    process.capabilities.permitted = capabilities;
    // Docker leaves inheritable empty (CVE-2022-24769) and ambient empty.
    process.no_new_privileges = request.no_new_privileges;
    if (!request.seccomp_program.empty()) {
        if (request.seccomp_program.size() % 8 != 0)
            return Error::invalid("the compiled seccomp filter is not a BPF program");
        spec.annotations[std::string(seccomp_program_annotation)] =
            base64_encode(request.seccomp_program);
    } else if (!request.seccomp_profile.empty()) {
        if (!nlohmann::json::accept(request.seccomp_profile))
            return Error::invalid("the seccomp profile is not valid JSON");
        spec.linux_section.seccomp = request.seccomp_profile;
    }

    spec.root_path = rootfs;  // absolute: the bundle (exec root) is not beside the rootfs
    spec.root_readonly = host.read_only_rootfs;
    if (host.uts_mode != "host") {
        spec.hostname = config.hostname;
        spec.domainname = config.domainname;
    }

    auto& namespaces = spec.linux_section.namespaces;
    namespaces.push_back({"mount", ""});
    namespaces.push_back({"cgroup", ""});
    std::string network_mode = host.network_mode;
    TRY(add_namespace(request, "network", network_mode, namespaces));
    TRY(add_namespace(request, "pid", host.pid_mode, namespaces));
    TRY(add_namespace(request, "ipc", host.ipc_mode, namespaces));
    TRY(add_namespace(request, "uts", host.uts_mode == "host" ? "host" : "", namespaces));

    TRY(add_mounts(request, spec));

    // Always absolute (from the cgroup2 root): a relative cgroupsPath would be taken relative
    // to the cgroup of whoever runs crun.
    std::string parent = options.cgroup_parent;
    if (parent.empty() || parent.front() != '/')
        parent = "/" + parent;
    spec.linux_section.cgroups_path = fs::join(parent, request.id);
    auto controllers = available_controllers(options);
    std::string parent_dir = fs::join(options.cgroup_mount, options.cgroup_parent);
    bool swap_supported = TRY(fs::exists(fs::join(parent_dir, "memory.swap.max")));
    spec.linux_section.resources =
        make_resources(host.resources, controllers, swap_supported, generated.warnings);
    TRY(add_devices(host, options, spec.linux_section, uses_host_dev(host)));
    spec.linux_section.sysctl =
        std::map<std::string, std::string>(host.sysctls.begin(), host.sysctls.end());
    if (!host.privileged) {
        spec.linux_section.masked_paths = masked_paths();
        spec.linux_section.readonly_paths = readonly_paths();
    }
    // crun runs at fixed addresses then (RuntimeOptions): the container's processes must not
    // inherit that. crun sets the plain Linux personality before it executes the process.
    if (options.crun_fixed_addresses)
        spec.linux_section.personality_domain = "LINUX";
    generated.json =
        oci::to_json(spec).dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
    return generated;
}

}  // namespace corral::runtime
