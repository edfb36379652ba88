// Linux capabilities by name: docker's default set, the full set, and cap_add/cap_drop.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace corral::runtime {

// Docker's default set for unprivileged containers ("CAP_CHOWN", ...).
const std::vector<std::string>& default_capabilities();
// Every capability the running kernel knows (bounded by /proc/sys/kernel/cap_last_cap).
const std::vector<std::string>& all_capabilities();
// "sys_admin", "SYS_ADMIN", "CAP_SYS_ADMIN" → "CAP_SYS_ADMIN"; "all" → "ALL"; error when
// unknown: `unknown capability: "CAP_FOO"`.
ErrorOr<std::string> normalize_capability(std::string_view name);
// Docker's rules: privileged → all; ALL in cap_add → all minus cap_drop; ALL in cap_drop →
// only cap_add; otherwise default + cap_add − cap_drop. Sorted by capability number.
ErrorOr<std::vector<std::string>> compute_capabilities(bool privileged,
                                                       const std::vector<std::string>& cap_add,
                                                       const std::vector<std::string>& cap_drop);

}  // namespace corral::runtime
