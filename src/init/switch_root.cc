#include "init/switch_root.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>

#include "base/fs.h"
#include "base/sys.h"

namespace corral::init {

namespace {

ErrorOr<void> copy_metadata(int directory_fd, const std::string& name, const struct stat& info,
                            bool is_link) {
    int flags = is_link ? AT_SYMLINK_NOFOLLOW : 0;
    if (::fchownat(directory_fd, name.c_str(), info.st_uid, info.st_gid, flags) < 0)
        return Error::from_errno("fchownat", name, errno);
    if (!is_link && ::fchmodat(directory_fd, name.c_str(), info.st_mode & 07777, 0) < 0)
        return Error::from_errno("fchmodat", name, errno);
    timespec times[2] = {info.st_atim, info.st_mtim};
    if (::utimensat(directory_fd, name.c_str(), times, flags) < 0)
        return Error::from_errno("utimensat", name, errno);
    return {};
}

ErrorOr<void> copy_file(int from_dir, int to_dir, const std::string& name,
                        const struct stat& info) {
    auto source = TRY(sys::openat(from_dir, name, O_RDONLY | O_NOFOLLOW));
    auto target = TRY(sys::openat(to_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600));
    off_t left = info.st_size;
    while (left > 0) {
        ssize_t n = ::sendfile(target.get(), source.get(), nullptr,
                               static_cast<size_t>(std::min<off_t>(left, 1 << 30)));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return Error::from_errno("sendfile", name, errno);
        }
        if (n == 0)
            break;
        left -= n;
    }
    return {};
}

ErrorOr<void> move_directory_contents(int from_dir, int to_dir, const std::string& where,
                                      const std::vector<std::string>& skip) {
    // Read all names first: the directory changes while we remove entries.
    std::vector<std::string> names;
    {
        int listing_fd = ::dup(from_dir);
        if (listing_fd < 0)
            return Error::from_errno("dup", where, errno);
        DIR* listing = ::fdopendir(listing_fd);
        if (!listing) {
            ::close(listing_fd);
            return Error::from_errno("fdopendir", where, errno);
        }
        ::rewinddir(listing);
        while (dirent* entry = ::readdir(listing)) {
            std::string name = entry->d_name;
            if (name != "." && name != "..")
                names.push_back(std::move(name));
        }
        ::closedir(listing);
    }
    for (const auto& name : names) {
        std::string relative = where.empty() ? name : where + "/" + name;
        if (std::find(skip.begin(), skip.end(), relative) != skip.end())
            continue;
        struct stat info {};
        if (::fstatat(from_dir, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) < 0)
            return Error::from_errno("fstatat", relative, errno);
        bool is_link = false;
        if (S_ISDIR(info.st_mode)) {
            if (::mkdirat(to_dir, name.c_str(), 0700) < 0 && errno != EEXIST)
                return Error::from_errno("mkdirat", relative, errno);
            auto from_child = TRY(sys::openat(from_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
            auto to_child = TRY(sys::openat(to_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
            TRY(move_directory_contents(from_child.get(), to_child.get(), relative, skip));
        } else if (S_ISREG(info.st_mode)) {
            TRY(copy_file(from_dir, to_dir, name, info));
        } else if (S_ISLNK(info.st_mode)) {
            std::string target(static_cast<size_t>(info.st_size) + 1, '\0');
            ssize_t n = ::readlinkat(from_dir, name.c_str(), target.data(), target.size());
            if (n < 0)
                return Error::from_errno("readlinkat", relative, errno);
            target.resize(static_cast<size_t>(n));
            if (::symlinkat(target.c_str(), to_dir, name.c_str()) < 0)
                return Error::from_errno("symlinkat", relative, errno);
            is_link = true;
        } else {
            if (::mknodat(to_dir, name.c_str(), info.st_mode, info.st_rdev) < 0)
                return Error::from_errno("mknodat", relative, errno);
        }
        TRY(copy_metadata(to_dir, name, info, is_link));
        // Remove the original now, so the copy never needs twice the memory.
        int remove_flags = S_ISDIR(info.st_mode) ? AT_REMOVEDIR : 0;
        if (::unlinkat(from_dir, name.c_str(), remove_flags) < 0 &&
            !(S_ISDIR(info.st_mode) && errno == ENOTEMPTY))
            return Error::from_errno("unlinkat", relative, errno);
    }
    return {};
}

}  // namespace

ErrorOr<void> move_tree(const std::string& from, const std::string& to,
                        const std::vector<std::string>& skip) {
    auto from_fd = TRY(sys::open(from, O_RDONLY | O_DIRECTORY));
    auto to_fd = TRY(sys::open(to, O_RDONLY | O_DIRECTORY));
    return move_directory_contents(from_fd.get(), to_fd.get(), "", skip);
}

bool running_from_initramfs() {
    auto mounts = fs::read_file("/proc/self/mountinfo");
    if (!mounts)
        return false;
    std::istringstream lines(*mounts);
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        std::string id, parent, device, root, mount_point;
        fields >> id >> parent >> device >> root >> mount_point;
        if (mount_point != "/")
            continue;
        auto separator = line.find(" - ");
        if (separator == std::string::npos)
            return false;
        std::istringstream tail(line.substr(separator + 3));
        std::string type, source;
        tail >> type >> source;
        // The initramfs is "rootfs" (ramfs or tmpfs) and is the first mount of the namespace.
        return source == "rootfs" || type == "rootfs";
    }
    return false;
}

ErrorOr<void> switch_to_tmpfs_root() {
    const std::string new_root = "/.root";
    TRY(sys::mkdir(new_root, 0755));
    TRY(sys::mount("rootfs", new_root, "tmpfs", 0, "mode=0755"));
    const std::vector<std::string> mounts = {"proc", "sys", "dev", "run"};
    std::vector<std::string> skip = mounts;
    skip.push_back(".root");
    TRY(move_tree("/", new_root, skip));
    for (const auto& mount : mounts) {
        std::string source = "/" + mount;
        std::string target = new_root + "/" + mount;
        TRY(sys::mkdir(target, 0755));
        if (sys::stat_if_exists(source + "/.")) {
            auto moved = sys::mount(source, target, "", MS_MOVE);
            // Not every one of these is mounted yet on every path through boot.
            if (!moved && moved.error().errno_value() != EINVAL)
                return std::move(moved).release_error();
        }
    }
    if (::chdir(new_root.c_str()) < 0)
        return Error::from_errno("chdir", new_root, errno);
    TRY(sys::mount(".", "/", "", MS_MOVE));
    if (::chroot(".") < 0)
        return Error::from_errno("chroot", new_root, errno);
    if (::chdir("/") < 0)
        return Error::from_errno("chdir", "/", errno);
    return {};
}

}  // namespace corral::init
