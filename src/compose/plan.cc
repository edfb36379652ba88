#include "compose/plan.h"

#include <algorithm>

#include "compose/order.h"
#include "config/model.h"
#include "config/tree.h"
#include "config/yaml.h"

namespace corral::compose {

namespace {

struct Definition {
    std::string name;
    config::Value value;
    std::string source;
};

void put(std::vector<Definition>& definitions, Definition definition) {
    for (auto& existing : definitions) {
        if (existing.name == definition.name) {
            existing = std::move(definition);
            return;
        }
    }
    definitions.push_back(std::move(definition));
}

// Adds the services of a file (a catalog name, a path or a URL), replacing same-named ones.
void add_file(std::vector<Definition>& definitions, std::vector<std::string>& warnings,
              const Catalog& catalog, const std::string& source, const std::string& why) {
    auto text = read_service_source(catalog, source);
    if (!text) {
        warnings.push_back(why + " " + source + ": " + text.error().message());
        return;
    }
    auto document = config::parse_yaml(*text, source);
    if (!document || !document->is_mapping()) {
        warnings.push_back(
            why + " " + source + ": " +
            (document ? std::string("not a map of services") : document.error().message()));
        return;
    }
    for (const auto& [name, value] : document->entries())
        put(definitions, Definition{name, value, source});
}

}  // namespace

ErrorOr<Plan> plan_services(const config::Value& merged, const Catalog& catalog) {
    Plan plan;
    config::CloudConfig config = config::to_cloud_config(merged);
    Environment environment = environment_for(config);
    std::vector<Definition> definitions;
    for (const auto& [name, value] : config.rancher.services)
        definitions.push_back(Definition{name, value, "rancher.services"});
    for (const auto& [name, enabled] : config.rancher.services_include) {
        if (enabled)
            add_file(definitions, plan.warnings, catalog, name, "service");
    }
    const std::string& console = config.rancher.console;
    if (!console.empty() && console != builtin_console)
        add_file(definitions, plan.warnings, catalog, console, "console");
    const std::string& engine = config.rancher.docker.engine;
    if (!engine.empty() && engine != builtin_engine)
        add_file(definitions, plan.warnings, catalog, engine, "engine");
    for (const auto& name : config.rancher.disable) {
        definitions.erase(std::remove_if(definitions.begin(), definitions.end(),
                                         [&](const Definition& d) { return d.name == name; }),
                          definitions.end());
    }
    std::vector<Service> services;
    for (const auto& definition : definitions) {
        auto service = parse_service(definition.name, definition.value, environment);
        if (!service) {
            plan.warnings.push_back(definition.source + ": " + service.error().message());
            continue;
        }
        services.push_back(service.release_value());
    }
    std::vector<std::string> order = TRY(start_order(services));
    for (const auto& name : order) {
        auto found = std::find_if(services.begin(), services.end(),
                                  [&](const Service& service) { return service.name == name; });
        plan.services.push_back(std::move(*found));
    }
    return plan;
}

}  // namespace corral::compose
