// The state disk: found by label (RANCHER_STATE), or made from a blank disk listed in
// rancher.state.autoformat, then mounted with the persistent directories bound onto it.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "init/boot_options.h"

namespace corral::init {

// The directories that live on the state disk, bound over the same paths of the root.
std::span<const std::string_view> persistent_directories();

// Where the state disk is mounted in the real root.
inline constexpr std::string_view kStateMount = "/mnt/state";

struct StateDevice {
    std::string path;
    bool formatted_now = false;  // autoformat made it during this boot
};

// Finds the state device, waiting up to options.state_wait_seconds for it to appear (on kernel
// uevents, not by sleeping). When the label is not found, formats the first zeroed device of
// options.autoformat. nullopt: no state disk (boot in RAM). With `modules_done_fd` (readable
// once the boot modules have loaded), the labelled disk is first waited for while they load.
ErrorOr<std::optional<StateDevice>> find_or_format_state(const BootOptions& options,
                                                         int modules_done_fd = -1);

// Mounts the state device at kStateMount and binds each persistent directory onto it. On
// failure nothing stays mounted.
ErrorOr<void> mount_state(const StateDevice& device, const BootOptions& options);

}  // namespace corral::init
