// File-system helpers built on sys::.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace corral::fs {

ErrorOr<std::string> read_file(const std::string& path, size_t max_size = 64 << 20);
// Writes a temp file beside `path`, fsyncs it, renames it over `path`, fsyncs the directory:
// readers see the old content or the new, never a torn file.
ErrorOr<void> write_file_atomic(const std::string& path, std::string_view content,
                                mode_t mode = 0644);
ErrorOr<void> mkdir_p(const std::string& path, mode_t mode = 0755);
// Removes a file or a whole tree without following symlinks or entering mount points (what is
// mounted inside the tree makes the removal fail); absent is not an error.
ErrorOr<void> remove_tree(const std::string& path);
// The same for the entry `name` of the directory `dir_fd` (a single component).
ErrorOr<void> remove_tree_at(int dir_fd, const std::string& name);
ErrorOr<bool> exists(const std::string& path);
// Whether `path` is the root of a mount (a bind of the same file system too); absent: false.
ErrorOr<bool> is_mount_point(const std::string& path);
// Entry names of a directory, sorted, without "." and "..".
ErrorOr<std::vector<std::string>> list_dir(const std::string& path);
std::string join(std::string_view a, std::string_view b);
std::string dirname(std::string_view path);
std::string basename(std::string_view path);

// A directory that is removed, with its contents, when the object dies.
class TempDir {
  public:
    static ErrorOr<TempDir> create(const std::string& parent, std::string_view prefix = "tmp");
    TempDir(TempDir&& other) noexcept;
    TempDir& operator=(TempDir&&) = delete;
    TempDir(const TempDir&) = delete;
    ~TempDir();
    const std::string& path() const { return path_; }
    // Keeps the directory: the caller takes it over.
    std::string release();

  private:
    explicit TempDir(std::string path) : path_(std::move(path)) {}
    std::string path_;
};

}  // namespace corral::fs
