#include "base/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <random>

#include "base/sys.h"

namespace corral::fs {

ErrorOr<std::string> read_file(const std::string& path, size_t max_size) {
    UniqueFd fd = TRY(sys::open(path, O_RDONLY));
    std::string content;
    char buffer[65536];
    for (;;) {
        size_t n = TRY_CONTEXT(sys::read(fd.get(), buffer), path);
        if (n == 0)
            break;
        if (content.size() + n > max_size)
            return Error(ErrorKind::too_large,
                         path + ": larger than " + std::to_string(max_size) + " bytes");
        content.append(buffer, n);
    }
    return content;
}

namespace {

std::string random_suffix() {
    static thread_local std::mt19937_64 generator{std::random_device{}()};
    static const char digits[] = "0123456789abcdef";
    std::string suffix;
    uint64_t value = generator();
    for (int i = 0; i < 12; ++i, value >>= 4)
        suffix += digits[value & 15];
    return suffix;
}

}  // namespace

ErrorOr<void> write_file_atomic(const std::string& path, std::string_view content, mode_t mode) {
    std::string temp = path + ".tmp-" + random_suffix();
    {
        UniqueFd fd = TRY(sys::open(temp, O_WRONLY | O_CREAT | O_EXCL, mode));
        auto written = sys::write_all(fd.get(), content);
        if (written)
            written = sys::fsync(fd.get(), temp);
        if (!written) {
            ::unlink(temp.c_str());
            return std::move(written).error().with_context(temp);
        }
    }
    if (::fchmodat(AT_FDCWD, temp.c_str(), mode, 0) < 0) {
        int saved = errno;
        ::unlink(temp.c_str());
        return Error::from_errno("chmod", temp, saved);
    }
    auto renamed = sys::rename(temp, path);
    if (!renamed) {
        ::unlink(temp.c_str());
        return renamed;
    }
    auto dir = sys::open(dirname(path), O_RDONLY | O_DIRECTORY);
    if (dir)
        (void)sys::fsync(dir->get(), dirname(path));
    return {};
}

ErrorOr<void> mkdir_p(const std::string& path, mode_t mode) {
    if (path.empty())
        return {};
    auto existing = TRY(sys::stat_if_exists(path));
    if (existing) {
        if (!S_ISDIR(existing->st_mode))
            return Error::conflict("mkdir `" + path + "`: exists and is not a directory");
        return {};
    }
    std::string parent = dirname(path);
    if (parent != path)
        TRY(mkdir_p(parent, mode));
    return sys::mkdir(path, mode, true);
}

namespace {

// statx's mount-root attribute of `path` (relative to `dir_fd`, per `flags`).
ErrorOr<bool> mount_root_at(int dir_fd, const std::string& path, int flags) {
    struct statx status {};
    if (::statx(dir_fd, path.c_str(), flags, STATX_BASIC_STATS, &status) < 0)
        return Error::from_errno("statx", path, errno);
    if (!(status.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT))
        return Error(ErrorKind::unsupported, "statx `" + path + "`: no mount-root attribute");
    return (status.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
}

ErrorOr<void> remove_at(int dir_fd, const std::string& name, const std::string& shown) {
    if (::unlinkat(dir_fd, name.c_str(), 0) == 0 || errno == ENOENT)
        return {};
    if (errno != EISDIR && errno != EPERM)
        return Error::from_errno("unlink", shown, errno);
    int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return Error::from_errno("open", shown, errno);
    // Never through a mount point: what is mounted there (a container's rootfs, a bind of a
    // host directory) is not part of the tree.
    if (auto root = mount_root_at(fd, "", AT_EMPTY_PATH); !root.is_error() && *root) {
        ::close(fd);
        return Error(ErrorKind::conflict,
                     "remove `" + shown + "`: a mount point (not descended into)");
    }
    DIR* dir = ::fdopendir(fd);
    if (!dir) {
        ::close(fd);
        return Error::from_errno("fdopendir", shown, errno);
    }
    std::vector<std::string> names;
    while (dirent* entry = ::readdir(dir)) {
        std::string_view entry_name = entry->d_name;
        if (entry_name != "." && entry_name != "..")
            names.emplace_back(entry_name);
    }
    ErrorOr<void> result;
    for (const auto& child : names) {
        result = remove_at(::dirfd(dir), child, shown + "/" + child);
        if (!result)
            break;
    }
    ::closedir(dir);
    if (!result)
        return result;
    if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT)
        return Error::from_errno("rmdir", shown, errno);
    return {};
}

}  // namespace

ErrorOr<void> remove_tree(const std::string& path) {
    return remove_at(AT_FDCWD, path, path);
}

ErrorOr<void> remove_tree_at(int dir_fd, const std::string& name) {
    return remove_at(dir_fd, name, name);
}

ErrorOr<bool> is_mount_point(const std::string& path) {
    auto root = mount_root_at(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW);
    if (root.is_error() && root.error().errno_value() == ENOENT)
        return false;
    return root;
}

ErrorOr<bool> exists(const std::string& path) {
    auto st = TRY(sys::stat_if_exists(path));
    return st.has_value();
}

ErrorOr<std::vector<std::string>> list_dir(const std::string& path) {
    DIR* dir = ::opendir(path.c_str());
    if (!dir)
        return Error::from_errno("opendir", path, errno);
    std::vector<std::string> names;
    while (dirent* entry = ::readdir(dir)) {
        std::string_view name = entry->d_name;
        if (name != "." && name != "..")
            names.emplace_back(name);
    }
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    return names;
}

std::string join(std::string_view a, std::string_view b) {
    if (a.empty())
        return std::string(b);
    std::string result(a);
    if (result.back() != '/')
        result += '/';
    while (!b.empty() && b.front() == '/')
        b.remove_prefix(1);
    result += b;
    return result;
}

std::string dirname(std::string_view path) {
    while (path.size() > 1 && path.back() == '/')
        path.remove_suffix(1);
    auto slash = path.rfind('/');
    if (slash == std::string_view::npos)
        return ".";
    if (slash == 0)
        return "/";
    return std::string(path.substr(0, slash));
}

std::string basename(std::string_view path) {
    while (path.size() > 1 && path.back() == '/')
        path.remove_suffix(1);
    auto slash = path.rfind('/');
    return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

ErrorOr<TempDir> TempDir::create(const std::string& parent, std::string_view prefix) {
    std::string pattern = join(parent, std::string(prefix) + "-XXXXXX");
    if (!::mkdtemp(pattern.data()))
        return Error::from_errno("mkdtemp", pattern, errno);
    return TempDir(std::move(pattern));
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) {
    other.path_.clear();
}

TempDir::~TempDir() {
    if (!path_.empty())
        (void)remove_tree(path_);
}

std::string TempDir::release() {
    return std::exchange(path_, {});
}

}  // namespace corral::fs
