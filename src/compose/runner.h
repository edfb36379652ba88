// Bringing services up on an engine, the way RancherOS did: a service's container is created
// from container_request(), recreated when its definition or its image changed
// (io.rancher.os.remove, io.docker.compose.rebuild), started unless io.rancher.os.createonly, and
// waited for when io.rancher.os.detach is false. The engine is reached through ContainerEngine, so
// the same rules apply whether the caller holds the engine (init) or talks to it over its socket
// (ros).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "compose/service.h"
#include "engine/types.h"

namespace corral::compose {

// What `up` needs to know about an existing container.
struct ContainerStatus {
    std::string id;
    std::string state;  // "created", "running", "exited", ...
    int exit_code = 0;
    std::string hash;  // its hash_label; empty when it has none
    // Its image name now names another image than the one it was made from (a new boot
    // medium, a pull): a removable service's container is made again from the new image.
    bool image_changed = false;
    bool running() const { return state == "running" || state == "restarting"; }
};

class ContainerEngine {
  public:
    virtual ~ContainerEngine() = default;
    // nullopt when there is no container of that name.
    virtual ErrorOr<std::optional<ContainerStatus>> inspect(const std::string& name) = 0;
    // not_found when the image is missing.
    virtual ErrorOr<void> create(const engine::CreateRequest& request) = 0;
    virtual ErrorOr<void> start(const std::string& name) = 0;
    virtual ErrorOr<void> remove(const std::string& name, bool force) = 0;
    // Waits for the container to stop; its exit code.
    virtual ErrorOr<int> wait(const std::string& name) = 0;
    virtual ErrorOr<bool> has_image(const std::string& image) = 0;
    // Fetches an image that is not in the engine.
    virtual ErrorOr<void> pull(const std::string& image) = 0;
};

struct UpOptions {
    bool start = true;            // false: `create` (never start)
    bool force_recreate = false;  // recreate even when the definition is unchanged
    bool pull_missing = true;     // pull the image when create finds it missing
    // A dependency (not named by the user): a one-shot (detach false) that already ran to
    // success is left alone instead of run again.
    bool dependency = false;
};

// What up_service() did, for the report: "created", "recreated", "started", "running",
// "ran", "kept".
struct UpResult {
    std::vector<std::string> actions;
};

// Brings one service to its wanted state. Errors name the service.
ErrorOr<UpResult> up_service(ContainerEngine& engine, const Service& service,
                             const UpOptions& options);

// `names` and everything they depend on (after, volumes_from, container: namespaces), in the
// order of `ordered` (a start order); not_found naming the first unknown name.
ErrorOr<std::vector<const Service*>> with_dependencies(const std::vector<Service>& ordered,
                                                       const std::vector<std::string>& names);

}  // namespace corral::compose
