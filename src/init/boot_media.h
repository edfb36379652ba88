// The boot medium (the ISO, label CORRALOS): mounted read-only so the system engine can load
// the system images it carries.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace corral::init {

inline constexpr std::string_view kBootMediaLabel = "CORRALOS";
inline constexpr std::string_view kBootMediaMount = "/run/corral/media";
// The docker-archive tars of the system images, relative to the medium's root.
inline constexpr std::string_view kImagesDirectory = "images";

// Finds the medium by label (waiting for the CD-ROM to show up: until `modules_done_fd`, when
// given, is readable, then up to `wait_seconds`) and mounts it at kBootMediaMount. Returns the
// mount point, or nullopt when there is no such medium (a boot with -kernel/-initrd).
ErrorOr<std::optional<std::string>> mount_boot_media(int wait_seconds = 10,
                                                     int modules_done_fd = -1);

}  // namespace corral::init
