// Host settings init applies before services start: hostname and kernel parameters.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"

namespace corral::init {

// Kernel parameters every CorralOS host wants (the user engine forwards and bridges traffic).
std::span<const std::pair<std::string_view, std::string_view>> default_sysctls();

// "net.ipv4.ip_forward" → "/proc/sys/net/ipv4/ip_forward". Rejects keys that would leave
// /proc/sys ("..", empty parts).
ErrorOr<std::string> sysctl_path(std::string_view key);

// Writes each parameter; returns the ones that failed as "key: error".
std::vector<std::string> apply_sysctls(
    std::span<const std::pair<std::string_view, std::string_view>> settings);

ErrorOr<void> set_hostname(const std::string& name);

}  // namespace corral::init
