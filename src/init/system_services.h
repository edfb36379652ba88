// Bringing up the system: the bundled system images loaded into the store, then the system
// services of the merged configuration (os-config.yml, cloud-config, kernel command line)
// created and started in dependency order.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "compose/runner.h"
#include "compose/service.h"
#include "config/layers.h"

#include "engine/engine.h"
#include "image/store.h"

namespace corral::init {

// Loads every docker-archive under `directory` whose tags are not all in the store yet.
// Returns one line per problem; a bad archive does not stop the others.
std::vector<std::string> load_system_images(image::Store& store, const std::string& directory);

// Where the initrd keeps the manifest.json of each archive of system images on its boot medium
// (scripts/build-image): "<archive name>.json".
inline constexpr const char* kSystemImageManifests = "/etc/corral/system-images";

// Whether every tag of every manifest (docker-archive manifest.json, "*.json") in
// `manifests_directory` names its very image in the store: then the boot medium has nothing
// to load and the services need not wait for it. false when there is no manifest.
bool system_images_present(const image::Store& store, const std::string& manifests_directory);

struct ServicesReport {
    std::vector<std::string> started;     // services up (kept, started, or run to success)
    std::vector<std::string> made;        // of them, those whose container was (re)created
    std::vector<std::string> containers;  // the container names of the configured services
    std::vector<std::string> problems;    // "service NAME: error", configuration problems
    std::vector<std::string> notes;       // for the log only (unreadable repositories)
};

// The services of the set each service waits for: its dependencies (after, volumes_from,
// container:X namespaces) and the services that name it in `before`. Names outside the set
// are left out.
std::map<std::string, std::vector<std::string>> service_prerequisites(
    const std::vector<compose::Service>& services);

// How much a service's own bring-up weighs on the boot's longest chain, plus the heaviest
// chain of the services waiting for it: a volume holder (create only) 1, a daemon 2 (create or
// start), a one-shot 4 (start, then its run is waited for). Services with more behind them
// start first when the starts are capped.
std::map<std::string, int> service_priorities(
    const std::vector<compose::Service>& services,
    const std::map<std::string, std::vector<std::string>>& prerequisites);

struct BringUpOptions {
    // The engine restarted within this boot and the services were up once already: a one-shot
    // that ran to success is not run again.
    bool again = false;
    // Where the configuration layers and the repository cache are (tests: a temporary root).
    config::LayerPaths paths{};
    // At most this many services are being brought up at once (0: the number of online
    // CPUs, at least 2). Under QEMU TCG a start is CPU work (crun's namespaces, mounts and
    // device nodes); more at once only slows the chain the others wait for.
    int max_parallel = 0;
    // A service still being brought up after this long (pulling its image, a one-shot
    // waiting) stops counting against max_parallel.
    std::chrono::milliseconds busy_for{5000};
};

// Reads the configuration layers and the service repositories (as `ros service enable`
// wrote them) and brings up the system-scope services of compose::plan_services, each as soon
// as what it waits for is done (independent services in parallel, at most max_parallel at a
// time, the ready one with the heaviest chain behind it first), by compose::up_service: a
// container whose definition and image are unchanged is kept (started when stopped), a
// changed one is made again, createonly services are only created, a detach=false service
// runs (each boot) and is waited for before what comes after it. Each service up goes to the
// boot timeline ("service NAME up"). A failing service is reported and the others still start.
ServicesReport bring_up_system_services(compose::ContainerEngine& engine,
                                        const BringUpOptions& options);

// What the engine does for its other containers when it starts (init turns that off so that
// the services are not restarted before the bring-up decides about them): containers not made
// from a service definition are started when their restart policy says so, exited --rm ones
// removed. Returns one line per problem.
std::vector<std::string> restore_other_containers(engine::Engine& engine);

}  // namespace corral::init
