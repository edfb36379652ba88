#include "init/service_engine.h"

#include "compose/container.h"

namespace corral::init {

ErrorOr<std::optional<compose::ContainerStatus>> LocalEngine::inspect(const std::string& name) {
    auto found = engine_.inspect(name);
    if (!found) {
        if (found.error().kind() == ErrorKind::not_found)
            return std::optional<compose::ContainerStatus>();
        return found.release_error();
    }
    compose::ContainerStatus status;
    status.id = found->id;
    status.state = engine::status_name(found->state.status);
    status.exit_code = found->state.exit_code;
    auto hash = found->config.labels.find(std::string(compose::hash_label));
    if (hash != found->config.labels.end())
        status.hash = hash->second;
    // An image name that no longer resolves keeps the container: it can still start from
    // the layers it has, and a new create would fail.
    auto image = store_.resolve(found->config.image);
    status.image_changed = image && image->id != found->image_id;
    return std::optional(std::move(status));
}

ErrorOr<void> LocalEngine::create(const engine::CreateRequest& request) {
    TRY(engine_.create_container(request));
    return {};
}

ErrorOr<void> LocalEngine::start(const std::string& name) {
    return engine_.start(name);
}

ErrorOr<void> LocalEngine::remove(const std::string& name, bool force) {
    engine::RemoveOptions options;
    options.force = force;
    return engine_.remove(name, options);
}

ErrorOr<int> LocalEngine::wait(const std::string& name) {
    auto result = TRY(engine_.wait(name, engine::WaitCondition::not_running, {}));
    return result.exit_code;
}

ErrorOr<bool> LocalEngine::has_image(const std::string& image) {
    auto found = store_.resolve(image);
    if (found)
        return true;
    if (found.error().kind() == ErrorKind::not_found)
        return false;
    return found.release_error();
}

ErrorOr<void> LocalEngine::pull(const std::string& image) {
    TRY(store_.pull(image));
    return {};
}

}  // namespace corral::init
