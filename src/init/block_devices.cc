#include "init/block_devices.h"

#include <fcntl.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <string_view>

#include "base/fs.h"
#include "base/sys.h"

namespace corral::init {

namespace {

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

// Reads the pending events; whether one was about a block device (a disk or partition came,
// went or changed). Module loads send events too: those need no rescan.
bool drain_block_events(int fd) {
    bool block = false;
    char buffer[8192];
    for (;;) {
        ssize_t n = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
        if (n <= 0)
            return block;
        std::string_view message(buffer, static_cast<size_t>(n));
        if (message.find("SUBSYSTEM=block") != std::string_view::npos)
            block = true;
    }
}

}  // namespace

ErrorOr<std::optional<std::string>> find_device(const std::string& spec) {
    if (spec.starts_with("LABEL=")) {
        std::string wanted = spec.substr(6);
        for (const auto& name : list_block_devices()) {
            std::string path = "/dev/" + name;
            auto identity = identify_device(path);
            // An empty CD-ROM drive or a vanished device is just not the one.
            if (identity && *identity && (*identity)->label == wanted)
                return std::optional<std::string>(path);
        }
        return std::optional<std::string>();
    }
    if (TRY(sys::stat_if_exists(spec)))
        return std::optional<std::string>(spec);
    return std::optional<std::string>();
}

ErrorOr<bool> device_is_zeroed(const std::string& device_path, size_t bytes) {
    auto fd = TRY(sys::open(device_path, O_RDONLY));
    std::vector<char> buffer(64 * 1024);
    size_t checked = 0;
    while (checked < bytes) {
        size_t want = std::min(buffer.size(), bytes - checked);
        size_t n = TRY(sys::read(fd.get(), std::span(buffer.data(), want)));
        if (n == 0)
            break;
        if (std::any_of(buffer.begin(), buffer.begin() + static_cast<long>(n),
                        [](char c) { return c != 0; }))
            return false;
        checked += n;
    }
    return checked > 0;
}

ErrorOr<std::optional<std::string>> wait_for_device(const std::string& spec, int wait_seconds,
                                                    int stop_fd) {
    UniqueFd events = open_uevent_socket();
    int64_t deadline = sys::monotonic_ns() + int64_t(wait_seconds) * 1'000'000'000;
    bool scan = true;
    for (;;) {
        if (scan) {
            if (auto found = TRY(find_device(spec)))
                return found;
        }
        int64_t left_ms = (deadline - sys::monotonic_ns()) / 1'000'000;
        if (left_ms <= 0 || !events)
            return std::optional<std::string>();
        pollfd poll_fds[2] = {{events.get(), POLLIN, 0}, {stop_fd, POLLIN, 0}};
        int ready = ::poll(poll_fds, stop_fd >= 0 ? 2 : 1,
                           static_cast<int>(std::min<int64_t>(left_ms, INT_MAX)));
        if (ready > 0 && stop_fd >= 0 && (poll_fds[1].revents & POLLIN)) {
            // One last look: the device may have come with the last events.
            return find_device(spec);
        }
        scan = ready > 0 && drain_block_events(events.get());
    }
}

}  // namespace corral::init
