// Restart policies: whether an exited container is started again, and after how long
// (docker's backoff: 100 ms, doubling up to a minute, back to 100 ms after 10 s of running).
#pragma once

#include <cstdint>
#include <string_view>

#include "base/error.h"
#include "engine/types.h"

namespace corral::engine {

inline constexpr int64_t restart_initial_delay_ns = 100'000'000;
inline constexpr int64_t restart_maximum_delay_ns = 60'000'000'000;
inline constexpr int64_t restart_reset_after_ns = 10'000'000'000;

// "no", "always", "on-failure", "on-failure:N", "unless-stopped" ("" = "no").
ErrorOr<RestartPolicy> parse_restart_policy(std::string_view text);
const char* restart_policy_name(RestartPolicy::Name name);

// After a container exited on its own (not stopped by the user).
bool should_restart(const RestartPolicy& policy, int exit_code, int restart_count);
// When the engine comes up and finds the container not running.
bool should_restart_on_boot(const RestartPolicy& policy, const ContainerState& state);
// The delay before the next restart, given the previous one (0 = none yet) and how long the
// container ran.
int64_t next_restart_delay(int64_t previous_delay_ns, int64_t ran_for_ns);

}  // namespace corral::engine
