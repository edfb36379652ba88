#include "engine/restart_policy.h"

#include <algorithm>
#include <charconv>
#include <string>

namespace corral::engine {

ErrorOr<RestartPolicy> parse_restart_policy(std::string_view text) {
    RestartPolicy policy;
    auto colon = text.find(':');
    auto name = text.substr(0, colon);
    if (name.empty() || name == "no") {
        policy.name = RestartPolicy::Name::no;
    } else if (name == "always") {
        policy.name = RestartPolicy::Name::always;
    } else if (name == "unless-stopped") {
        policy.name = RestartPolicy::Name::unless_stopped;
    } else if (name == "on-failure") {
        policy.name = RestartPolicy::Name::on_failure;
    } else {
        return Error::invalid("invalid restart policy: " + std::string(text));
    }
    if (colon != std::string_view::npos) {
        if (policy.name != RestartPolicy::Name::on_failure)
            return Error::invalid("maximum retry count cannot be used with restart policy '" +
                                  std::string(name) + "'");
        auto count_text = text.substr(colon + 1);
        int count = 0;
        auto [end, error] =
            std::from_chars(count_text.data(), count_text.data() + count_text.size(), count);
        if (error != std::errc() || end != count_text.data() + count_text.size() || count < 0)
            return Error::invalid(
                "invalid restart policy: maximum retry count must be a "
                "non-negative integer");
        policy.maximum_retry_count = count;
    }
    return policy;
}

const char* restart_policy_name(RestartPolicy::Name name) {
    switch (name) {
        case RestartPolicy::Name::no:
            return "no";
        case RestartPolicy::Name::always:
            return "always";
        case RestartPolicy::Name::on_failure:
            return "on-failure";
        case RestartPolicy::Name::unless_stopped:
            return "unless-stopped";
    }
    return "no";
}

bool should_restart(const RestartPolicy& policy, int exit_code, int restart_count) {
    switch (policy.name) {
        case RestartPolicy::Name::no:
            return false;
        case RestartPolicy::Name::always:
        case RestartPolicy::Name::unless_stopped:
            return true;
        case RestartPolicy::Name::on_failure:
            return exit_code != 0 &&
                   (policy.maximum_retry_count == 0 || restart_count < policy.maximum_retry_count);
    }
    return false;
}

bool should_restart_on_boot(const RestartPolicy& policy, const ContainerState& state) {
    // A container that was never started stays created, whatever its policy.
    if (state.status == Status::created || state.started_at_ns == 0)
        return false;
    switch (policy.name) {
        case RestartPolicy::Name::no:
            return false;
        case RestartPolicy::Name::always:
            // "always" comes back with the daemon even after a manual stop (docker's rule).
            return true;
        case RestartPolicy::Name::unless_stopped:
            return !state.stopped_by_user;
        case RestartPolicy::Name::on_failure:
            return !state.stopped_by_user &&
                   should_restart(policy, state.exit_code, state.restart_count);
    }
    return false;
}

int64_t next_restart_delay(int64_t previous_delay_ns, int64_t ran_for_ns) {
    if (ran_for_ns >= restart_reset_after_ns || previous_delay_ns <= 0)
        return restart_initial_delay_ns;
    return std::min(previous_delay_ns * 2, restart_maximum_delay_ns);
}

}  // namespace corral::engine
