// compose::ContainerEngine over the engine init holds in its own process: the system services
// are brought up with the rules `ros service up` follows over the socket (compose::up_service).
#pragma once

#include "compose/runner.h"
#include "engine/engine.h"
#include "image/store.h"

namespace corral::init {

class LocalEngine : public compose::ContainerEngine {
  public:
    LocalEngine(engine::Engine& engine, image::Store& store) : engine_(engine), store_(store) {}

    // Besides state, exit code and definition hash: whether the container's image name now
    // names another image (a new boot medium brought a new corral/os-base).
    ErrorOr<std::optional<compose::ContainerStatus>> inspect(const std::string& name) override;
    ErrorOr<void> create(const engine::CreateRequest& request) override;
    ErrorOr<void> start(const std::string& name) override;
    ErrorOr<void> remove(const std::string& name, bool force) override;
    ErrorOr<int> wait(const std::string& name) override;
    ErrorOr<bool> has_image(const std::string& image) override;
    ErrorOr<void> pull(const std::string& image) override;

  private:
    engine::Engine& engine_;
    image::Store& store_;
};

}  // namespace corral::init
