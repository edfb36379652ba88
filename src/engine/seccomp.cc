#include "engine/seccomp.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>

#include "runtime/seccomp_bpf.h"

namespace corral::engine {

namespace {

// The system calls docker's default profile keeps from containers, grouped by the capability
// that lets them through (empty: denied whatever the capabilities). They reach kernel state
// that is not namespaced (modules, clock, keyrings, swap, accounting) or let a process look
// into or out of its confinement (ptrace, handles, mounts, namespaces).
struct DeniedGroup {
    const char* capability;
    std::vector<const char*> syscalls;
};

const std::vector<DeniedGroup>& denied_groups() {
    static const std::vector<DeniedGroup> groups = {
        {"",
         {"add_key", "keyctl", "request_key", "nfsservctl", "sysfs", "_sysctl", "uselib",
          "userfaultfd", "ustat", "vm86", "vm86old"}},
        {"CAP_SYS_ADMIN",
         {"bpf",
          "fanotify_init",
          "fsconfig",
          "fsmount",
          "fsopen",
          "fspick",
          "lookup_dcookie",
          "mount",
          "mount_setattr",
          "move_mount",
          "name_to_handle_at",
          "open_tree",
          "perf_event_open",
          "pivot_root",
          "quotactl",
          "quotactl_fd",
          "setdomainname",
          "sethostname",
          "setns",
          "swapoff",
          "swapon",
          "umount",
          "umount2",
          "unshare"}},
        {"CAP_SYS_BOOT", {"reboot", "kexec_load", "kexec_file_load"}},
        {"CAP_SYS_CHROOT", {"chroot"}},
        {"CAP_SYS_MODULE",
         {"create_module", "delete_module", "finit_module", "get_kernel_syms", "init_module",
          "query_module"}},
        {"CAP_SYS_PACCT", {"acct"}},
        {"CAP_SYS_PTRACE",
         {"kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev",
          "ptrace"}},
        {"CAP_SYS_RAWIO", {"ioperm", "iopl"}},
        {"CAP_SYS_TIME", {"clock_adjtime", "clock_settime", "settimeofday", "stime"}},
        {"CAP_SYS_TTY_CONFIG", {"vhangup"}},
        {"CAP_SYS_NICE", {"get_mempolicy", "mbind", "move_pages", "set_mempolicy"}},
        {"CAP_SYSLOG", {"syslog"}},
        {"CAP_DAC_READ_SEARCH", {"open_by_handle_at"}},
    };
    return groups;
}

// "key=value" or docker's older "key:value".
std::pair<std::string, std::string> split_option(const std::string& option) {
    size_t separator = option.find_first_of("=:");
    if (separator == std::string::npos)
        return {option, ""};
    return {option.substr(0, separator), option.substr(separator + 1)};
}

}  // namespace

ErrorOr<SecurityOptions> parse_security_options(const std::vector<std::string>& options) {
    SecurityOptions result;
    for (const auto& option : options) {
        auto [key, value] = split_option(option);
        if (key == "seccomp") {
            if (value == "unconfined") {
                result.seccomp_unconfined = true;
                continue;
            }
            auto profile = nlohmann::json::parse(value, nullptr, false);
            if (profile.is_discarded() || !profile.is_object())
                return Error::invalid(
                    "invalid --security-opt seccomp: expected \"unconfined\" or a profile "
                    "in JSON");
            result.seccomp_profile = profile.dump();
        } else if (key == "no-new-privileges") {
            if (value.empty() || value == "true")
                result.no_new_privileges = true;
            else if (value != "false")
                return Error::invalid("invalid --security-opt no-new-privileges: \"" + value +
                                      "\" (true or false)");
        } else if ((key == "apparmor" && value == "unconfined") ||
                   (key == "label" && value == "disable")) {
            // No LSM confines containers of this engine: nothing to turn off.
        } else {
            return Error::invalid("invalid --security-opt: \"" + option +
                                  "\" is not supported by this engine");
        }
    }
    return result;
}

ErrorOr<std::string> seccomp_for(const HostConfig& host,
                                 const std::vector<std::string>& capabilities) {
    auto security = TRY(parse_security_options(host.security_opt));
    if (host.privileged || security.seccomp_unconfined)
        return std::string();
    if (!security.seccomp_profile.empty())
        return security.seccomp_profile;
    std::vector<std::string> denied;
    for (const auto& group : denied_groups()) {
        std::string capability = group.capability;
        if (!capability.empty() &&
            std::find(capabilities.begin(), capabilities.end(), capability) != capabilities.end())
            continue;
        denied.insert(denied.end(), group.syscalls.begin(), group.syscalls.end());
    }
    nlohmann::json profile = {
        {"defaultAction", "SCMP_ACT_ALLOW"},
#if defined(__aarch64__)
        {"architectures", {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}},
#else
        {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
#endif
        {"syscalls", {{{"names", denied}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 1}}}},
    };
    return profile.dump();
}

ErrorOr<std::string> default_seccomp_program(const std::string& profile) {
    // Default profiles differ only by the capabilities that let calls through: few distinct
    // texts. The bound only guards against a caller that passes other profiles.
    constexpr size_t cache_limit = 64;
    static std::mutex mutex;
    static std::map<std::string, std::string> programs;
    static std::optional<Error> unavailable;  // no libseccomp here: not tried again
    {
        std::lock_guard lock(mutex);
        if (unavailable)
            return *unavailable;
        if (auto found = programs.find(profile); found != programs.end())
            return found->second;
    }
    auto compiled = runtime::compile_seccomp_profile(profile);
    std::lock_guard lock(mutex);
    if (!compiled) {
        if (compiled.error().kind() == ErrorKind::unavailable)
            unavailable = compiled.error();
        return compiled.release_error();
    }
    std::string program = std::move(compiled).release_value();
    if (programs.size() >= cache_limit)
        programs.clear();
    programs.emplace(profile, program);
    return program;
}

}  // namespace corral::engine
