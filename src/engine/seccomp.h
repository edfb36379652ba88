// The seccomp filter a container gets, from its security options (docker's --security-opt).
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "engine/types.h"

namespace corral::engine {

// What the security options ask for, validated: "seccomp=unconfined", "seccomp=<profile
// JSON>" (the docker CLI sends a profile file's content), "no-new-privileges[=true|false]",
// and the LSM options this engine has no LSM for ("apparmor=unconfined", "label=disable"),
// accepted as no-ops. Anything else is refused with the option named.
struct SecurityOptions {
    bool seccomp_unconfined = false;
    std::string seccomp_profile;  // a custom profile (JSON), empty for the default
    bool no_new_privileges = false;
};
ErrorOr<SecurityOptions> parse_security_options(const std::vector<std::string>& options);

// The seccomp section of config.json (JSON text) for a container; empty when it runs
// without a filter (privileged, or seccomp=unconfined). The default profile allows every
// system call but those docker's default profile denies, each denied with EPERM unless the
// container holds the capability that docker's profile lets it through with.
ErrorOr<std::string> seccomp_for(const HostConfig& host,
                                 const std::vector<std::string>& capabilities);

// The BPF program of a default profile (seccomp_for's result when no profile was given),
// compiled on first use and kept for the life of the process (a handful: one per capability
// set), so crun loads it instead of compiling the profile on every start. The error says why
// it could not be compiled here (no libseccomp); crun then compiles the profile itself.
ErrorOr<std::string> default_seccomp_program(const std::string& profile);

}  // namespace corral::engine
