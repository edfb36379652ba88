// The kernel command line as a configuration layer. Words `rancher.KEY=VALUE` set
// `rancher.KEY`; words `cc.KEY=VALUE` set the top-level cloud-config key KEY; a word without
// `=` sets true. Values are YAML-typed (`true`, `42`, `[a,b]`), may be quoted (`"a b"`), and
// spaces inside quotes or brackets do not split words. Every other word belongs to the kernel
// or init and is ignored.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/value.h"

namespace corral::config {

inline constexpr size_t max_cmdline_bytes = 64 << 10;

// Splits a command line into words: spaces separate, except inside "..." / '...' quotes and
// [...] brackets.
std::vector<std::string> split_kernel_cmdline(std::string_view cmdline);

struct KernelCmdline {
    Value config;                       // a cloud-config map (null when nothing applied)
    std::vector<std::string> rejected;  // our words that could not apply, with the reason
};

KernelCmdline parse_kernel_cmdline(std::string_view cmdline);

}  // namespace corral::config
