#include "init/state_disk.h"

#include <linux/netlink.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/socket.h>

#include <algorithm>

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

// A socket that reads the kernel's device events, so waiting for a disk wakes when one shows
// up. Failure to open it only makes the wait a single scan.
UniqueFd open_uevent_socket() {
    int fd =
        ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT);
    if (fd < 0)
        return {};
    sockaddr_nl address{};
    address.nl_family = AF_NETLINK;
    address.nl_groups = 1;  // kernel events
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) < 0) {
        ::close(fd);
        return {};
    }
    return UniqueFd(fd);
}

void drain(int fd) {
    char buffer[8192];
    while (::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT) > 0) {
    }
}

// Scans for the device until it is found or the deadline passes, rescanning on each uevent.
ErrorOr<std::optional<std::string>> wait_for_device(const std::string& spec, int wait_seconds) {
    UniqueFd events = open_uevent_socket();
    int64_t deadline = sys::monotonic_ns() + int64_t(wait_seconds) * 1'000'000'000;
    for (;;) {
        if (auto found = TRY(find_device(spec)))
            return found;
        int64_t left_ms = (deadline - sys::monotonic_ns()) / 1'000'000;
        if (left_ms <= 0 || !events)
            return std::optional<std::string>();
        pollfd poll_fd{events.get(), POLLIN, 0};
        int ready = ::poll(&poll_fd, 1, static_cast<int>(left_ms));
        if (ready > 0)
            drain(events.get());
    }
}

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

ErrorOr<std::optional<StateDevice>> find_or_format_state(const BootOptions& options) {
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
