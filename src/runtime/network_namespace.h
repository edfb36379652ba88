// Network namespaces made ahead of container starts. Creating one is the costliest step of a
// container's clone in crun (the loopback device, the per-namespace tables); the engine makes
// them off the start's path and hands crun the path of a ready one, as dockerd does with the
// namespace of a container's network sandbox.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/fd.h"

namespace corral::runtime {

// A new network namespace with its loopback interface up (what crun sets up in a namespace it
// creates), held by the returned fd. Made on a short-lived thread: a thread can leave its
// network namespace, and the caller's threads all stay where they were.
ErrorOr<UniqueFd> make_network_namespace();

// The path by which another process of this pid namespace opens `fd` of this process
// (/proc/<pid>/fd/<fd>): crun joins a namespace given as such a path.
std::string descriptor_path(int fd);

// Spare network namespaces. take() never blocks on making one: an empty pool answers an
// invalid fd and the caller lets crun make the namespace.
class NetworkNamespacePool {
  public:
    explicit NetworkNamespacePool(size_t spares) : spares_(spares) {}

    UniqueFd take();
    // Makes namespaces until `spares` are ready. Stops for good at the first failure (no
    // CAP_SYS_ADMIN, say): crun makes every namespace then, as before the pool.
    void fill();
    bool disabled() const;

  private:
    size_t spares_;
    mutable std::mutex mutex_;
    std::vector<UniqueFd> ready_;
    bool disabled_ = false;
};

}  // namespace corral::runtime
