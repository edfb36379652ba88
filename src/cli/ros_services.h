// What the `ros service` commands that act through the engines share: the services of the
// configuration (compose::plan_services: rancher.services, enabled services_include, the chosen
// console and engine) and a connection to the engine of each scope, found in the configuration
// (rancher.system_docker.host for system scope, rancher.docker.host for user scope).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/ros.h"
#include "cli/system_docker_api.h"
#include "compose/catalog.h"
#include "compose/plan.h"
#include "compose/runner.h"
#include "config/layers.h"

namespace corral::cli::ros {

// A compose::ContainerEngine spoken to over its Docker Engine API socket.
class ApiEngine : public compose::ContainerEngine {
  public:
    // `what` names the engine in errors ("system engine"), `key` the setting its address
    // came from.
    static ErrorOr<std::unique_ptr<ApiEngine>> connect(const std::string& what,
                                                       const std::string& host,
                                                       const std::string& key);
    DockerApi& api() { return api_; }
    const std::string& what() const { return what_; }

    ErrorOr<std::optional<compose::ContainerStatus>> inspect(const std::string& name) override;
    ErrorOr<void> create(const engine::CreateRequest& request) override;
    ErrorOr<void> start(const std::string& name) override;
    ErrorOr<void> remove(const std::string& name, bool force) override;
    ErrorOr<int> wait(const std::string& name) override;
    ErrorOr<void> pull(const std::string& image) override;

    ErrorOr<void> stop(const std::string& name, std::optional<int> timeout);
    ErrorOr<void> restart(const std::string& name, std::optional<int> timeout);
    ErrorOr<void> kill(const std::string& name, const std::string& signal);
    ErrorOr<bool> has_image(const std::string& image) override;
    // GET /containers/{name}/json.
    ErrorOr<Json> inspect_json(const std::string& name);

  private:
    ErrorOr<bool> image_changed(const Json& container);
    ApiEngine(std::string what, DockerApi api) : what_(std::move(what)), api_(std::move(api)) {}
    std::string what_;
    DockerApi api_;
};

// The address of the engine of a scope: the first unix socket of rancher.system_docker.host
// (system) or rancher.docker.host (user), else its first entry, else the default socket.
std::string engine_host(const config::Value& merged, compose::Scope scope);

class Session {
  public:
    // Warnings (unreadable repositories, services left out) are printed on stderr.
    static ErrorOr<Session> open(const Context& context);

    const config::LoadedConfig& config() const { return config_; }
    const compose::Catalog& catalog() const { return catalog_; }
    // The configured services in start order.
    const std::vector<compose::Service>& services() const { return services_; }
    // The services named (all of them when `names` is empty), in start order; an unknown name
    // is an error saying where services come from.
    ErrorOr<std::vector<const compose::Service*>> select(
        const std::vector<std::string>& names) const;
    // The engine of a scope, connected on first use.
    ErrorOr<ApiEngine*> engine(compose::Scope scope);
    ErrorOr<ApiEngine*> engine_of(const compose::Service& service) { return engine(service.scope); }

  private:
    config::LoadedConfig config_;
    compose::Catalog catalog_;
    std::vector<compose::Service> services_;
    std::unique_ptr<ApiEngine> system_;
    std::unique_ptr<ApiEngine> user_;
};

// `ros service up|start|stop|restart|rm|kill|logs|ps|pull|create`.
void add_service_run_commands(CLI::App& service, Context& context);

}  // namespace corral::cli::ros
