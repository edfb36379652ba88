// Network namespaces made ahead of container starts (runtime/network_namespace.h).
#include "runtime/network_namespace.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "base/log.h"

namespace corral::runtime {

namespace {

// On the calling thread, which then lives in the new namespace.
ErrorOr<UniqueFd> enter_new_network_namespace() {
    if (::unshare(CLONE_NEWNET) < 0)
        return Error::from_errno("unshare(CLONE_NEWNET)", errno);
    UniqueFd namespace_fd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!namespace_fd)
        return Error::from_errno("open /proc/thread-self/ns/net", errno);
    UniqueFd control(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!control)
        return Error::from_errno("socket in the new network namespace", errno);
    ifreq request{};
    std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
    if (::ioctl(control.get(), SIOCGIFFLAGS, &request) < 0)
        return Error::from_errno("SIOCGIFFLAGS lo", errno);
    request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
    if (::ioctl(control.get(), SIOCSIFFLAGS, &request) < 0)
        return Error::from_errno("SIOCSIFFLAGS lo up", errno);
    return namespace_fd;
}

}  // namespace

ErrorOr<UniqueFd> make_network_namespace() {
    ErrorOr<UniqueFd> made = Error::internal("network namespace thread did not run");
    std::thread([&made] { made = enter_new_network_namespace(); }).join();
    return made;
}

std::string descriptor_path(int fd) {
    return "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(fd);
}

UniqueFd NetworkNamespacePool::take() {
    std::lock_guard lock(mutex_);
    if (ready_.empty())
        return UniqueFd();
    UniqueFd taken = std::move(ready_.back());
    ready_.pop_back();
    return taken;
}

void NetworkNamespacePool::fill() {
    for (;;) {
        {
            std::lock_guard lock(mutex_);
            if (disabled_ || ready_.size() >= spares_)
                return;
        }
        auto made = make_network_namespace();
        std::lock_guard lock(mutex_);
        if (!made) {
            log::debug("network namespaces are left to crun: " + made.error().message());
            disabled_ = true;
            return;
        }
        ready_.push_back(std::move(made).release_value());
    }
}

bool NetworkNamespacePool::disabled() const {
    std::lock_guard lock(mutex_);
    return disabled_;
}

}  // namespace corral::runtime
