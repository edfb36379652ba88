// Docker's copy-up: a new (empty) volume mounted over a directory of the image starts with that
// directory's content.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"

namespace corral::engine {

// Copies what the image holds at `path` (absolute inside the image) into the directory
// `target`, as overlayfs would show it: `layer_dirs` lowest first, upper layers win, whiteouts
// (0/0 character devices) hide, opaque directories (trusted.overlay.opaque=y) end the lookup
// below them. Nothing happens when `target` is not empty or the image has no directory at
// `path`; a path reaching through a symlink of the image is not copied. Owners, modes and
// symlinks are kept; device nodes are not copied.
ErrorOr<void> copy_image_path(const std::vector<std::string>& layer_dirs, const std::string& path,
                              const std::string& target);

}  // namespace corral::engine
