#include "runtime/host_mode.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/statfs.h>

#include <linux/magic.h>

#include <algorithm>

#include "base/fs.h"
#include "base/sys.h"

namespace corral::runtime {

ErrorOr<bool> is_cgroup2(const std::string& path) {
    struct statfs info {};
    if (::statfs(path.c_str(), &info) < 0) {
        if (errno == ENOENT)
            return false;
        return Error::from_errno("statfs", path, errno);
    }
    return info.f_type == CGROUP2_SUPER_MAGIC;
}

ErrorOr<void> enter_private_mount_namespace(const std::string& cgroup_mount) {
    if (::unshare(CLONE_NEWNS) < 0)
        return Error::from_errno("unshare", "CLONE_NEWNS", errno);
    // Nothing we mount may propagate back to the host, and host changes stop reaching us.
    TRY(sys::mount("none", "/", "", MS_REC | MS_PRIVATE));
    if (!TRY(is_cgroup2(cgroup_mount))) {
        TRY(fs::mkdir_p(cgroup_mount));
        TRY(sys::mount("cgroup2", cgroup_mount, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC));
    }
    return {};
}

namespace {

std::vector<std::string> split_words(const std::string& text) {
    std::vector<std::string> words;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find_first_of(" \n", start);
        if (end == std::string::npos)
            end = text.size();
        if (end > start)
            words.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return words;
}

}  // namespace

ErrorOr<std::vector<std::string>> prepare_cgroup_parent(const std::string& cgroup_mount,
                                                        const std::string& parent) {
    std::string root_controllers =
        TRY(fs::read_file(fs::join(cgroup_mount, "cgroup.controllers"), 4096));
    std::string target = fs::join(cgroup_mount, parent);
    TRY(fs::mkdir_p(target));
    // Walk from the mount down to the parent, enabling each controller in every level's
    // subtree_control so the next level (and finally the containers) receives it. A level
    // with processes of its own refuses (cgroup v2's no-internal-process rule): what is
    // available there is then what the parent gets.
    std::vector<std::string> levels;
    for (std::string dir = target; dir.size() > cgroup_mount.size(); dir = fs::dirname(dir))
        levels.push_back(dir);
    levels.push_back(cgroup_mount);
    std::reverse(levels.begin(), levels.end());
    for (const auto& level : levels) {
        auto available = fs::read_file(fs::join(level, "cgroup.controllers"), 4096);
        if (!available)
            continue;
        for (const auto& controller : split_words(*available)) {
            auto control = sys::open(fs::join(level, "cgroup.subtree_control"), O_WRONLY);
            if (!control)
                continue;
            (void)sys::write_all(control->get(), "+" + controller);
        }
    }
    std::string available = TRY(fs::read_file(fs::join(target, "cgroup.controllers"), 4096));
    return split_words(available);
}

}  // namespace corral::runtime
