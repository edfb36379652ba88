// Running crun: the command line every call shares, and running it to completion.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "runtime/runtime.h"

namespace corral::runtime {

// [crun, --root, <root>, <arguments>...]
std::vector<std::string> crun_command(const RuntimeOptions& options,
                                      std::vector<std::string> arguments);
// Runs crun; its stderr becomes the error message when it fails.
ErrorOr<std::string> run_crun(const RuntimeOptions& options, std::vector<std::string> arguments);

}  // namespace corral::runtime
