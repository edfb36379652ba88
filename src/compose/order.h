// Start order of services: a topological order of their dependencies (io.rancher.os.after,
// io.rancher.os.before, volumes_from, net/ipc/pid container:X). Dependencies on services that
// are not in the set are ignored (an `after: console` when no console is configured).
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "compose/service.h"

namespace corral::compose {

// Names in a start order; ties keep the input order. A cycle is an error naming it:
// "dependency cycle: a → b → a".
ErrorOr<std::vector<std::string>> start_order(const std::vector<Service>& services);

}  // namespace corral::compose
