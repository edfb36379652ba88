// Signal names as docker accepts them: "SIGKILL", "KILL", "kill", "9", "SIGRTMIN+3".
#pragma once

#include <string_view>

#include "base/error.h"

namespace corral::engine {

ErrorOr<int> parse_signal(std::string_view text);

}  // namespace corral::engine
