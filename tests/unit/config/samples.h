// Where the RancherOS sample files are: CI clones the repository with shared/ beside it.
#pragma once

#include <sys/stat.h>

#include <string>
#include <vector>

#include "base/fs.h"

namespace corral::testing {

inline std::string samples_dir() {
    std::vector<std::string> candidates;
    if (const char* source = std::getenv("CORRAL_SOURCE_DIR"))
        candidates.push_back(std::string(source) + "/../shared/rancheros-samples");
    candidates.push_back(std::string(CORRAL_SOURCE_DIR) + "/../shared/rancheros-samples");
    candidates.push_back("/work/shared/rancheros-samples");
    for (const auto& candidate : candidates) {
        struct stat st;
        if (::stat((candidate + "/index.yml").c_str(), &st) == 0)
            return candidate;
    }
    return {};
}

inline std::string sample(const std::string& name) {
    return samples_dir() + "/" + name;
}

}  // namespace corral::testing
