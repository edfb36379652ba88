// A seccomp profile (config.json's linux.seccomp) compiled to the BPF program the kernel
// loads, so crun can take it as is instead of compiling the profile on every start.
//
// crun 1.8 (Debian 12) builds the filter with libseccomp on every `crun run` (its cache of
// compiled filters needs libgcrypt, which Debian's build does without). It also accepts a
// finished program in the annotation `run.oci.seccomp_bpf_data` (base64 of what
// seccomp(SECCOMP_SET_MODE_FILTER) gets) and then ignores linux.seccomp; `crun exec` loads the
// same program from crun's state. compile_seccomp_profile makes the calls crun makes for the
// same profile (seccomp_init with the default action, seccomp_arch_add per architecture,
// seccomp_rule_add per known system call name, unknown names skipped as crun skips them,
// seccomp_export_bpf), with the libseccomp crun itself links, opened with dlopen for the
// compile only: the container gets the same filter.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace corral::runtime {

// The annotation crun takes a compiled filter from.
inline constexpr std::string_view seccomp_program_annotation = "run.oci.seccomp_bpf_data";

// The BPF program (struct sock_filter entries, 8 bytes each) of a profile. Profiles with
// parts crun treats in ways this does not repeat (argument conditions, flags, listeners,
// notify actions) are refused with ErrorKind::unsupported: keep the JSON for crun then.
// ErrorKind::unavailable when libseccomp cannot be loaded.
ErrorOr<std::string> compile_seccomp_profile(std::string_view profile_json);

// Base64 (RFC 4648, padded), the annotation's encoding.
std::string base64_encode(std::string_view bytes);

}  // namespace corral::runtime
