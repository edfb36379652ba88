// compile_seccomp_profile: libseccomp through dlopen, the calls crun makes for a profile.
#include "runtime/seccomp_bpf.h"

#include <linux/seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "base/dynamic_library.h"
#include "base/fd.h"
#include "base/sys.h"

namespace corral::runtime {

namespace {

// libseccomp's __NR_SCMP_ERROR: the name is no system call on any architecture.
constexpr int unknown_syscall = -1;

// The functions of libseccomp 2 (soname libseccomp.so.2) this needs, as its header declares
// them (scmp_filter_ctx is a pointer). `library` keeps it open while they are used.
struct SeccompLibrary {
    std::optional<DynamicLibrary> library;
    void* (*init)(uint32_t default_action) = nullptr;
    void (*release)(void* context) = nullptr;
    uint32_t (*arch_resolve_name)(const char* name) = nullptr;
    int (*arch_add)(void* context, uint32_t arch_token) = nullptr;
    int (*syscall_resolve_name)(const char* name) = nullptr;
    int (*rule_add)(void* context, uint32_t action, int syscall, unsigned int arg_count,
                    ...) = nullptr;
    int (*export_bpf)(const void* context, int fd) = nullptr;
};

ErrorOr<void> load(SeccompLibrary& seccomp) {
    seccomp.library = TRY(DynamicLibrary::open(
        "libseccomp.so.2", "compiling the seccomp profile (else crun compiles it)", "libseccomp2"));
    const auto& library = *seccomp.library;
    TRY(library.resolve(seccomp.init, "seccomp_init"));
    TRY(library.resolve(seccomp.release, "seccomp_release"));
    TRY(library.resolve(seccomp.arch_resolve_name, "seccomp_arch_resolve_name"));
    TRY(library.resolve(seccomp.arch_add, "seccomp_arch_add"));
    TRY(library.resolve(seccomp.syscall_resolve_name, "seccomp_syscall_resolve_name"));
    TRY(library.resolve(seccomp.rule_add, "seccomp_rule_add"));
    TRY(library.resolve(seccomp.export_bpf, "seccomp_export_bpf"));
    return {};
}

Error unsupported(const std::string& what) {
    return Error(ErrorKind::unsupported, "seccomp profile: " + what + " is left to crun");
}

// The action value of a profile's action name (libseccomp's SCMP_ACT_* are the kernel's
// SECCOMP_RET_* values), as crun maps them.
ErrorOr<uint32_t> action_value(const std::string& name, uint32_t errno_value) {
    if (name == "SCMP_ACT_ALLOW")
        return SECCOMP_RET_ALLOW;
    if (name == "SCMP_ACT_ERRNO")
        return SECCOMP_RET_ERRNO | (errno_value & SECCOMP_RET_DATA);
    if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD")
        return SECCOMP_RET_KILL_THREAD;
    if (name == "SCMP_ACT_KILL_PROCESS")
        return SECCOMP_RET_KILL_PROCESS;
    if (name == "SCMP_ACT_TRAP")
        return SECCOMP_RET_TRAP;
    if (name == "SCMP_ACT_LOG")
        return SECCOMP_RET_LOG;
    return unsupported("action `" + name + "`");
}

struct Rule {
    uint32_t action = 0;
    std::vector<std::string> names;
};

struct Profile {
    uint32_t default_action = 0;
    std::vector<std::string> architectures;
    std::vector<Rule> rules;
};

// The part of the OCI seccomp section this compiles; anything else is refused.
ErrorOr<Profile> parse_profile(std::string_view text) {
    auto json = nlohmann::json::parse(text, nullptr, false);
    if (json.is_discarded() || !json.is_object())
        return Error::invalid("seccomp profile: not a JSON object");
    Profile profile;
    uint32_t default_errno = EPERM;
    for (const auto& [key, value] : json.items()) {
        if (key == "defaultAction" || key == "architectures" || key == "syscalls")
            continue;
        if (key == "defaultErrnoRet" && value.is_number_unsigned()) {
            default_errno = value.get<uint32_t>();
            continue;
        }
        return unsupported("`" + key + "`");
    }
    auto action = json.find("defaultAction");
    if (action == json.end() || !action->is_string())
        return Error::invalid("seccomp profile: no defaultAction");
    if (json.contains("defaultErrnoRet") && *action != "SCMP_ACT_ERRNO")
        return unsupported("defaultErrnoRet with " + action->get<std::string>());
    profile.default_action = TRY(action_value(action->get<std::string>(), default_errno));
    if (auto architectures = json.find("architectures"); architectures != json.end()) {
        if (!architectures->is_array())
            return Error::invalid("seccomp profile: architectures is not a list");
        for (const auto& architecture : *architectures) {
            if (!architecture.is_string())
                return Error::invalid("seccomp profile: an architecture is not a string");
            profile.architectures.push_back(architecture.get<std::string>());
        }
    }
    if (auto syscalls = json.find("syscalls"); syscalls != json.end()) {
        if (!syscalls->is_array())
            return Error::invalid("seccomp profile: syscalls is not a list");
        for (const auto& entry : *syscalls) {
            if (!entry.is_object())
                return Error::invalid("seccomp profile: a syscalls entry is not an object");
            uint32_t errno_value = EPERM;
            for (const auto& [key, value] : entry.items()) {
                if (key == "names" || key == "action")
                    continue;
                if (key == "errnoRet" && value.is_number_unsigned()) {
                    errno_value = value.get<uint32_t>();
                    continue;
                }
                if (key == "args" && value.is_array() && value.empty())
                    continue;
                return unsupported("`" + key + "` in a syscalls entry");
            }
            auto rule_action = entry.find("action");
            auto names = entry.find("names");
            if (rule_action == entry.end() || !rule_action->is_string() || names == entry.end() ||
                !names->is_array())
                return Error::invalid("seccomp profile: a syscalls entry needs names and action");
            if (entry.contains("errnoRet") && *rule_action != "SCMP_ACT_ERRNO")
                return unsupported("errnoRet with " + rule_action->get<std::string>());
            Rule rule;
            rule.action = TRY(action_value(rule_action->get<std::string>(), errno_value));
            for (const auto& name : *names) {
                if (!name.is_string())
                    return Error::invalid("seccomp profile: a system call name is not a string");
                rule.names.push_back(name.get<std::string>());
            }
            profile.rules.push_back(std::move(rule));
        }
    }
    return profile;
}

// "SCMP_ARCH_X86_64" → "x86_64", the form seccomp_arch_resolve_name takes (as crun does it).
std::string architecture_name(std::string name) {
    if (name.starts_with("SCMP_ARCH_"))
        name.erase(0, 10);
    for (auto& character : name)
        character = static_cast<char>(std::tolower(static_cast<unsigned char>(character)));
    return name;
}

class FilterContext {
  public:
    FilterContext(const SeccompLibrary& library, void* context)
        : library_(library), context_(context) {}
    FilterContext(const FilterContext&) = delete;
    FilterContext& operator=(const FilterContext&) = delete;
    ~FilterContext() {
        if (context_)
            library_.release(context_);
    }
    void* get() const { return context_; }

  private:
    const SeccompLibrary& library_;
    void* context_;
};

Error seccomp_error(const std::string& call, const std::string& subject, int result) {
    return Error::from_errno(call, subject, -result);
}

}  // namespace

ErrorOr<std::string> compile_seccomp_profile(std::string_view profile_json) {
    auto profile = TRY(parse_profile(profile_json));
    SeccompLibrary library;
    TRY(load(library));
    FilterContext context(library, library.init(profile.default_action));
    if (!context.get())
        return Error::internal("seccomp_init failed");
    for (const auto& architecture : profile.architectures) {
        std::string name = architecture_name(architecture);
        uint32_t token = library.arch_resolve_name(name.c_str());
        if (token == 0)
            return Error::invalid("seccomp profile: unknown architecture " + architecture);
        int result = library.arch_add(context.get(), token);
        if (result < 0 && result != -EEXIST)
            return seccomp_error("seccomp_arch_add", architecture, result);
    }
    for (const auto& rule : profile.rules) {
        if (rule.action == profile.default_action)
            continue;
        for (const auto& name : rule.names) {
            int syscall = library.syscall_resolve_name(name.c_str());
            if (syscall == unknown_syscall)
                continue;  // crun warns and goes on
            int result = library.rule_add(context.get(), rule.action, syscall, 0u);
            if (result < 0)
                return seccomp_error("seccomp_rule_add", name, result);
        }
    }
    UniqueFd memory(::memfd_create("corral-seccomp", MFD_CLOEXEC));
    if (!memory)
        return Error::from_errno("memfd_create", "seccomp program", errno);
    int result = library.export_bpf(context.get(), memory.get());
    if (result < 0)
        return seccomp_error("seccomp_export_bpf", "memfd", result);
    if (::lseek(memory.get(), 0, SEEK_SET) < 0)
        return Error::from_errno("lseek", "seccomp program", errno);
    std::string program;
    char buffer[4096];
    for (;;) {
        size_t n = TRY(sys::read(memory.get(), buffer));
        if (n == 0)
            break;
        program.append(buffer, n);
        if (program.size() > (1 << 20))
            return Error::internal("seccomp program over 1 MiB");
    }
    if (program.empty() || program.size() % 8 != 0)
        return Error::internal("seccomp_export_bpf wrote " + std::to_string(program.size()) +
                               " bytes, not a BPF program");
    return program;
}

std::string base64_encode(std::string_view bytes) {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string text;
    text.reserve((bytes.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        uint32_t group = static_cast<uint8_t>(bytes[i]) << 16 |
                         static_cast<uint8_t>(bytes[i + 1]) << 8 |
                         static_cast<uint8_t>(bytes[i + 2]);
        text += alphabet[group >> 18];
        text += alphabet[(group >> 12) & 63];
        text += alphabet[(group >> 6) & 63];
        text += alphabet[group & 63];
    }
    size_t rest = bytes.size() - i;
    if (rest > 0) {
        uint32_t group = static_cast<uint8_t>(bytes[i]) << 16;
        if (rest == 2)
            group |= static_cast<uint8_t>(bytes[i + 1]) << 8;
        text += alphabet[group >> 18];
        text += alphabet[(group >> 12) & 63];
        text += rest == 2 ? alphabet[(group >> 6) & 63] : '=';
        text += '=';
    }
    return text;
}

}  // namespace corral::runtime
