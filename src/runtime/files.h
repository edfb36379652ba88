// Writing files the runtime regenerates on every start (config.json, the /etc files, the
// shim's pid record): atomic by rename, but not fsynced — after a crash they are rebuilt, so
// durability would only add latency to every container start.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "base/error.h"

namespace corral::runtime {

ErrorOr<void> write_file_replace(const std::string& path, std::string_view content,
                                 mode_t mode = 0644);

}  // namespace corral::runtime
