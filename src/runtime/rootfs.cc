// The container's root: an overlay of the image layers with a per-container upper dir.
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <iterator>

#include "base/fs.h"
#include "base/reaper.h"
#include "base/sys.h"
#include "runtime/runtime.h"

namespace corral::runtime {

namespace {

// The kernel copies mount data into one page.
constexpr size_t max_mount_data = 4096 - 1;

std::string join_lower(const std::vector<std::string>& dirs) {
    // overlayfs lists the top layer first; callers give the lowest first.
    std::string joined;
    for (auto dir = dirs.rbegin(); dir != dirs.rend(); ++dir) {
        if (!joined.empty())
            joined += ':';
        joined += *dir;
    }
    return joined;
}

// Mounts from a short-lived child that changes into `directory`, so relative lower paths stay
// short without touching the (multithreaded) caller's working directory.
ErrorOr<void> mount_in_directory(const std::string& directory, const std::string& target,
                                 const std::string& data) {
    // Through the reaper: in PID 1 a plain fork's child could be reaped as an orphan first.
    pid_t pid = TRY_CONTEXT(reaper::fork_child(/*open_pidfd=*/false), "overlay mount").pid;
    if (pid == 0) {
        // Only system calls until _exit.
        if (::chdir(directory.c_str()) < 0)
            ::_exit(errno & 0xff);
        if (::mount("overlay", target.c_str(), "overlay", 0, data.c_str()) < 0)
            ::_exit(errno & 0xff);
        ::_exit(0);
    }
    auto result = TRY(reaper::wait(pid, 0));
    if (!result || !WIFEXITED(result->status))
        return Error::internal("overlay mount helper died");
    int child_errno = WEXITSTATUS(result->status);
    if (child_errno != 0)
        return Error::from_errno("mount overlay", target, child_errno);
    return {};
}

}  // namespace

ErrorOr<RootfsMount> RootfsMount::create(const std::vector<std::string>& lower_dirs,
                                         const std::string& upper_dir, const std::string& work_dir,
                                         const std::string& target, bool discard_upper) {
    TRY(fs::mkdir_p(upper_dir));
    TRY(fs::mkdir_p(work_dir));
    TRY(fs::mkdir_p(target));
    std::vector<std::string> lowers = lower_dirs;
    if (lowers.empty()) {
        // overlayfs needs a lower layer: an empty image gets an empty one.
        std::string empty = fs::join(fs::dirname(upper_dir), "empty-lower");
        TRY(fs::mkdir_p(empty));
        lowers.push_back(empty);
    }
    std::string suffix = ",upperdir=" + upper_dir + ",workdir=" + work_dir;
    if (discard_upper) {
        // overlayfs syncs the upper fs when the last reference goes (the unmount after the
        // container exits): milliseconds to tens of them on a busy disk, for files about to be
        // removed. `volatile` skips that; the kernel then leaves work/incompat/volatile behind
        // and refuses the next mount while it is there, which is only a warning about the
        // upper dir's content after a crash: a discarded upper dir does not care.
        (void)fs::remove_tree(fs::join(work_dir, "work/incompat/volatile"));
        suffix += ",volatile";
    }
    std::string data = "lowerdir=" + join_lower(lowers) + suffix;
    if (data.size() <= max_mount_data) {
        auto mounted = sys::mount("overlay", target, "overlay", 0, data);
        if (!mounted && discard_upper && mounted.error().errno_value() == EINVAL) {
            // A kernel before 5.10 has no `volatile`.
            return create(lower_dirs, upper_dir, work_dir, target, false);
        }
        TRY(std::move(mounted));
        return RootfsMount(target);
    }
    // Too long for one page: short numbered symlinks to the layers, mounted relative to them.
    std::string links = fs::join(fs::dirname(upper_dir), "layers");
    TRY(fs::remove_tree(links));
    TRY(fs::mkdir_p(links));
    std::vector<std::string> relative;
    for (size_t i = 0; i < lowers.size(); ++i) {
        TRY(sys::symlink(lowers[i], fs::join(links, std::to_string(i))));
        relative.push_back(std::to_string(i));
    }
    data = "lowerdir=" + join_lower(relative) + suffix;
    if (data.size() > max_mount_data)
        return Error(ErrorKind::too_large, "overlay mount options too long (" +
                                               std::to_string(lowers.size()) + " layers)");
    auto mounted = mount_in_directory(links, target, data);
    if (!mounted && discard_upper && mounted.error().errno_value() == EINVAL)
        return create(lower_dirs, upper_dir, work_dir, target, false);
    TRY(std::move(mounted));
    return RootfsMount(target);
}

RootfsMount::RootfsMount(RootfsMount&& other) noexcept : target_(std::move(other.target_)) {
    other.target_.clear();
}

RootfsMount::~RootfsMount() {
    if (!target_.empty())
        (void)sys::umount(target_, MNT_DETACH);
}

std::string RootfsMount::release() {
    std::string target = std::move(target_);
    target_.clear();
    return target;
}

namespace {

constexpr const char* init_layer_dirs[] = {"dev", "proc", "sys", "etc"};
constexpr const char* init_layer_files[] = {"etc/hostname", "etc/hosts", "etc/resolv.conf"};

// Exactly the entries above, each of its type, mode and size, owned by root.
bool init_layer_complete(const std::string& directory) {
    auto entry_ok = [](const std::string& path, mode_t type, mode_t mode) {
        struct stat info {};
        return ::lstat(path.c_str(), &info) == 0 && (info.st_mode & S_IFMT) == type &&
               (info.st_mode & 07777) == mode && info.st_uid == 0 && info.st_gid == 0 &&
               (type != S_IFREG || info.st_size == 0);
    };
    if (!entry_ok(directory, S_IFDIR, 0755))
        return false;
    for (const char* name : init_layer_dirs)
        if (!entry_ok(fs::join(directory, name), S_IFDIR, 0755))
            return false;
    for (const char* name : init_layer_files)
        if (!entry_ok(fs::join(directory, name), S_IFREG, 0644))
            return false;
    auto top = fs::list_dir(directory);
    auto etc = fs::list_dir(fs::join(directory, "etc"));
    return top && etc && top->size() == std::size(init_layer_dirs) &&
           etc->size() == std::size(init_layer_files);
}

}  // namespace

ErrorOr<void> prepare_init_layer(const std::string& directory) {
    if (init_layer_complete(directory))
        return {};
    std::string building = directory + ".new";
    TRY(fs::remove_tree(building));
    TRY(fs::mkdir_p(building, 0755));
    TRY(sys::chmod(building, 0755));  // whatever the umask
    for (const char* name : init_layer_dirs) {
        std::string path = fs::join(building, name);
        if (::mkdir(path.c_str(), 0755) < 0)
            return Error::from_errno("mkdir", path, errno);
        TRY(sys::chmod(path, 0755));
    }
    for (const char* name : init_layer_files) {
        std::string path = fs::join(building, name);
        TRY(fs::write_file_atomic(path, "", 0644));  // with that mode, whatever the umask
    }
    // A layer in place but not as it should be goes aside first: rename(2) replaces only an
    // empty directory.
    if (TRY(fs::exists(directory))) {
        std::string old = directory + ".old";
        TRY(fs::remove_tree(old));
        TRY(sys::rename(directory, old));
        TRY(fs::remove_tree(old));
    }
    TRY(sys::rename(building, directory));
    if (!init_layer_complete(directory))
        return Error::internal(directory + ": the init layer is not as it was made");
    return {};
}

ErrorOr<void> unmount_rootfs(const std::string& container_dir) {
    std::string target = rootfs_dir(container_dir);
    if (::umount2(target.c_str(), MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
        return Error::from_errno("umount", target, errno);
    return {};
}

}  // namespace corral::runtime
