#include "init/state_disk.h"

#include <sys/mount.h>

#include <algorithm>
#include <climits>

#include "base/fs.h"
#include "base/log.h"
#include "base/process.h"
#include "base/sys.h"
#include "init/block_devices.h"

namespace corral::init {

namespace {

constexpr std::string_view kPersistent[] = {
    "/var/lib/system-docker", "/var/lib/docker", "/var/lib/rancher", "/home", "/opt", "/var/log",
};

ErrorOr<void> format_device(const std::string& device, const std::string& fstype) {
    auto result = TRY(run({"mke2fs", "-q", "-F", "-t", fstype, "-L", "RANCHER_STATE", device}));
    if (result.exit_code != 0)
        return Error::internal("mke2fs " + device + " exited " + std::to_string(result.exit_code) +
                               ": " + result.err);
    return {};
}

}  // namespace

std::span<const std::string_view> persistent_directories() {
    return kPersistent;
}

ErrorOr<std::optional<StateDevice>> find_or_format_state(const BootOptions& options,
                                                         int modules_done_fd) {
    // While the disk drivers still load, the labelled disk is waited for as it shows up; the
    // blank-disk check below needs every disk, so it comes once they have loaded.
    if (modules_done_fd >= 0) {
        if (auto found = TRY(wait_for_device(options.state_device, INT_MAX / 2, modules_done_fd)))
            return std::optional<StateDevice>(StateDevice{*found, false});
    }
    // A blank autoformat disk is never labelled: do not wait the whole timeout for a label
    // when such a disk is already here.
    bool has_blank_candidate = false;
    for (const auto& device : options.autoformat) {
        auto present = sys::stat_if_exists(device);
        if (present && *present) {
            auto zeroed = device_is_zeroed(device);
            if (zeroed && *zeroed)
                has_blank_candidate = true;
        }
    }
    int wait = has_blank_candidate ? 0 : options.state_wait_seconds;
    if (auto found = TRY(wait_for_device(options.state_device, wait)))
        return std::optional<StateDevice>(StateDevice{*found, false});
    for (const auto& device : options.autoformat) {
        auto present = TRY(sys::stat_if_exists(device));
        if (!present)
            continue;
        if (!TRY(device_is_zeroed(device))) {
            log::debug("autoformat: " + device + " is not blank, leaving it alone");
            continue;
        }
        TRY_CONTEXT(format_device(device, options.state_fstype), "autoformat " + device);
        return std::optional<StateDevice>(StateDevice{device, true});
    }
    return std::optional<StateDevice>();
}

ErrorOr<void> mount_state(const StateDevice& device, const BootOptions& options) {
    std::string target(kStateMount);
    TRY(fs::mkdir_p(target));
    TRY(sys::mount(device.path, target, options.state_fstype, MS_NOATIME));
    std::vector<std::string> bound;
    auto undo = [&] {
        for (auto it = bound.rbegin(); it != bound.rend(); ++it)
            (void)sys::umount(*it, MNT_DETACH);
        (void)sys::umount(target, MNT_DETACH);
    };
    for (auto directory : kPersistent) {
        std::string path(directory);
        std::string source = target + path;
        auto made = fs::mkdir_p(source);
        if (made)
            made = fs::mkdir_p(path);
        if (made)
            made = sys::mount(source, path, "", MS_BIND);
        if (!made) {
            undo();
            return std::move(made).release_error();
        }
        bound.push_back(path);
    }
    return {};
}

}  // namespace corral::init
