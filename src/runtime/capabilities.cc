#include "runtime/capabilities.h"

#include <algorithm>
#include <cctype>

#include "base/fs.h"

namespace corral::runtime {

namespace {

// Index = capability number (linux/capability.h).
constexpr std::string_view capability_names[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};
constexpr int known_count = static_cast<int>(std::size(capability_names));

int capability_number(std::string_view name) {
    for (int i = 0; i < known_count; ++i)
        if (capability_names[i] == name)
            return i;
    return -1;
}

int last_capability() {
    auto text = fs::read_file("/proc/sys/kernel/cap_last_cap", 64);
    if (!text)
        return known_count - 1;
    int value = std::atoi(text->c_str());
    if (value <= 0)
        return known_count - 1;
    return std::min(value, known_count - 1);
}

bool contains(const std::vector<std::string>& names, std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

const std::vector<std::string>& default_capabilities() {
    static const std::vector<std::string> defaults = {
        "CAP_CHOWN",       "CAP_DAC_OVERRIDE", "CAP_FOWNER",
        "CAP_FSETID",      "CAP_KILL",         "CAP_SETGID",
        "CAP_SETUID",      "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE",
        "CAP_NET_RAW",     "CAP_SYS_CHROOT",   "CAP_MKNOD",
        "CAP_AUDIT_WRITE", "CAP_SETFCAP",
    };
    return defaults;
}

const std::vector<std::string>& all_capabilities() {
    static const std::vector<std::string> all = [] {
        std::vector<std::string> names;
        int last = last_capability();
        for (int i = 0; i <= last; ++i)
            names.emplace_back(capability_names[i]);
        return names;
    }();
    return all;
}

ErrorOr<std::string> normalize_capability(std::string_view name) {
    std::string upper;
    for (char c : name)
        upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (upper == "ALL")
        return upper;
    if (!upper.starts_with("CAP_"))
        upper = "CAP_" + upper;
    if (capability_number(upper) < 0)
        return Error::invalid("unknown capability: \"" + upper + "\"");
    return upper;
}

ErrorOr<std::vector<std::string>> compute_capabilities(bool privileged,
                                                       const std::vector<std::string>& cap_add,
                                                       const std::vector<std::string>& cap_drop) {
    if (privileged)
        return all_capabilities();
    std::vector<std::string> add, drop;
    for (const auto& name : cap_add)
        add.push_back(TRY(normalize_capability(name)));
    for (const auto& name : cap_drop)
        drop.push_back(TRY(normalize_capability(name)));

    std::vector<std::string> result;
    const auto& all = all_capabilities();
    if (contains(add, "ALL")) {
        for (const auto& name : all)
            if (!contains(drop, name))
                result.push_back(name);
    } else if (contains(drop, "ALL")) {
        result = add;
    } else {
        for (const auto& name : default_capabilities())
            if (!contains(drop, name))
                result.push_back(name);
        for (const auto& name : add)
            result.push_back(name);
    }
    // Capabilities the running kernel does not know would make crun fail: leave them out.
    std::erase_if(result, [&](const std::string& name) { return !contains(all, name); });
    std::sort(result.begin(), result.end(), [](const std::string& a, const std::string& b) {
        return capability_number(a) < capability_number(b);
    });
    result.erase(std::unique(result.begin(), result.end()), result.end());
    return result;
}

}  // namespace corral::runtime
