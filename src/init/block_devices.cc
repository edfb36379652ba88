#include "init/block_devices.h"

#include <fcntl.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

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

void drain(int fd) {
    char buffer[8192];
    while (::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT) > 0) {
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

}  // namespace corral::init
