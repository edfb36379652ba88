// Layer unpacking: a (gzip, zstd, xz, bzip2 or plain) tar stream into a directory, with
// overlayfs whiteouts, and with every path resolved inside the target directory so that no
// entry — through "..", an absolute symlink, a hard link or a chain of symlinks — writes
// outside it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/fd.h"

namespace corral::image {

struct UnpackOptions {
    // Turns ".wh.NAME" entries into overlay whiteouts (char device 0/0 NAME) and
    // ".wh..wh..opq" into trusted.overlay.opaque=y on the directory. Off: plain files.
    bool whiteouts = true;
    // Character and block devices other than 0/0 whiteouts are refused unless allowed.
    bool allow_device_nodes = false;
    // Applies owners and xattrs from the tar (ownership needs root).
    bool preserve_ownership = true;
    uint64_t max_entries = 4'000'000;
    size_t max_path_length = 4096;
    // Computes the diff id (SHA-256 of the uncompressed stream). Off only for layers of a
    // trusted source whose diff id is known already (UnpackResult::diff_id stays empty).
    bool compute_diff_id = true;
};

struct UnpackResult {
    std::string diff_id;   // "sha256:<hex>" of the uncompressed tar stream
    int64_t size = 0;      // bytes of regular file content
    int64_t tar_size = 0;  // bytes of the uncompressed tar stream
    uint64_t entries = 0;
};

// Unpacks the tar read from `fd` (to its end) into the existing directory `target`.
// On error, `target` may hold a partial tree (callers unpack into a temp dir) but nothing
// outside it has been touched.
ErrorOr<UnpackResult> unpack_layer(int fd, const std::string& target,
                                   const UnpackOptions& options = {});

// Opens the file `path` (relative; symlinks inside the tree are followed as long as they stay
// in it) below the directory `root` for reading; refuses paths that leave the tree.
ErrorOr<UniqueFd> open_in_tree(const std::string& root, std::string_view path);

// Splits a tar path into components, dropping empty ones and "."; refuses ".." and
// absolute paths.
ErrorOr<std::vector<std::string>> split_entry_path(std::string_view path);

}  // namespace corral::image
