// The services a boot runs, assembled the way RancherOS did it: the services of the merged
// configuration (`rancher.services`), plus those enabled in `rancher.services_include`, with
// the chosen console (`rancher.console`) and user engine (`rancher.docker.engine`) read from the
// repositories in place of the built-in ones, minus `rancher.disable`; in start order.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "compose/catalog.h"
#include "compose/service.h"
#include "config/value.h"

namespace corral::compose {

struct Plan {
    std::vector<Service> services;  // in start order
    // Services left out (unreadable or invalid files, bad definitions), each with the reason;
    // a boot goes on without them.
    std::vector<std::string> warnings;
};

// The built-in console and engine names: choosing them keeps the services of os-config.yml.
inline constexpr std::string_view builtin_console = "default";
inline constexpr std::string_view builtin_engine = "docker";

// Fails only when the services that remain cannot be ordered (a dependency cycle).
ErrorOr<Plan> plan_services(const config::Value& merged, const Catalog& catalog);

}  // namespace corral::compose
