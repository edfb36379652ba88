// `docker ps` selection: which containers a ListOptions keeps, and in what order.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/types.h"

namespace corral::engine {

// "key" or "key=value" filters against a label map; all must match.
bool labels_match(const std::map<std::string, std::string>& labels,
                  const std::vector<std::string>& filters);

// `ancestor_image_ids` are the image ids the ancestor filters resolved to (the engine asks the
// image store); an ancestor filter also matches the image name the container was created with.
bool container_matches(const Container& container, const ListOptions& options,
                       const std::vector<std::string>& ancestor_image_ids);

// Filters, sorts newest first and applies the limit. Without `all` (and without a status
// filter or a limit, which imply it) only running, restarting and paused containers are kept.
std::vector<Container> select_containers(std::vector<Container> containers,
                                         const ListOptions& options,
                                         const std::vector<std::string>& ancestor_image_ids);

}  // namespace corral::engine
