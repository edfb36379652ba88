// Bringing up the system: the bundled system images loaded into the store, then the system
// services of the merged configuration (os-config.yml, cloud-config, kernel command line)
// created and started in dependency order.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "compose/service.h"

#include "engine/engine.h"
#include "image/store.h"

namespace corral::init {

// Loads every docker-archive under `directory` whose tags are not all in the store yet.
// Returns one line per problem; a bad archive does not stop the others.
std::vector<std::string> load_system_images(image::Store& store, const std::string& directory);

struct ServicesReport {
    std::vector<std::string> started;
    std::vector<std::string> problems;  // "service: error", config problems
};

// The services of the set each service waits for: its dependencies (after, volumes_from,
// container:X namespaces) and the services that name it in `before`. Names outside the set
// are left out.
std::map<std::string, std::vector<std::string>> service_prerequisites(
    const std::vector<compose::Service>& services);

// Reads the configuration layers and brings up the system-scope services, each as soon as
// what it waits for is done (independent services in parallel): an existing container of the
// same name is replaced, createonly services are only created, a detach=false service is
// waited for before what comes after it. Each service's start goes to
// the boot timeline ("service NAME up"). A failing service is reported and the others still
// start.
ServicesReport bring_up_system_services(engine::Engine& engine);

}  // namespace corral::init
