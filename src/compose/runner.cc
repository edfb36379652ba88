#include "compose/runner.h"

#include <algorithm>
#include <set>

#include "compose/container.h"

namespace corral::compose {

ErrorOr<UpResult> up_service(ContainerEngine& engine, const Service& service,
                             const UpOptions& options) {
    UpResult result;
    engine::CreateRequest request = container_request(service);
    const std::string& name = request.name;
    auto context = [&](const char* step) { return "service " + service.name + ": " + step; };
    std::optional<ContainerStatus> existing = TRY_CONTEXT(engine.inspect(name), context("inspect"));
    if (existing) {
        const std::string& wanted = request.config.labels[std::string(hash_label)];
        // A container without our hash (made by something else) is not second-guessed.
        bool changed =
            (!existing->hash.empty() && existing->hash != wanted) || existing->image_changed;
        bool recreate =
            options.force_recreate || service.rebuild == "always" || (service.remove && changed);
        if (recreate) {
            TRY_CONTEXT(engine.remove(name, true), context("remove the old container"));
            existing.reset();
            result.actions.push_back("removed");
        }
    }
    if (!existing) {
        auto created = engine.create(request);
        // not_found is also a missing volumes_from container: pull only for a missing image.
        if (!created && created.error().kind() == ErrorKind::not_found && options.pull_missing &&
            !TRY_CONTEXT(engine.has_image(request.config.image), context("image"))) {
            TRY_CONTEXT(engine.pull(request.config.image), context("pull"));
            created = engine.create(request);
        }
        TRY_CONTEXT(std::move(created), context("create"));
        result.actions.push_back("created");
    }
    if (!options.start || service.createonly)
        return result;
    if (existing && existing->running()) {
        result.actions.push_back("running");
        return result;
    }
    if (existing && options.dependency && !service.detach && existing->state == "exited" &&
        existing->exit_code == 0) {
        result.actions.push_back("ran");
        return result;
    }
    TRY_CONTEXT(engine.start(name), context("start"));
    result.actions.push_back("started");
    if (!service.detach) {
        int code = TRY_CONTEXT(engine.wait(name), context("wait"));
        if (code != 0)
            return Error::internal("service " + service.name + ": exited with " +
                                   std::to_string(code));
        result.actions.push_back("ran");
    }
    return result;
}

ErrorOr<std::vector<const Service*>> with_dependencies(const std::vector<Service>& ordered,
                                                       const std::vector<std::string>& names) {
    auto find = [&](const std::string& name) -> const Service* {
        for (const auto& service : ordered) {
            if (service.name == name)
                return &service;
        }
        return nullptr;
    };
    std::set<std::string> wanted;
    std::vector<std::string> pending;
    for (const auto& name : names) {
        if (!find(name))
            return Error::not_found("unknown service `" + name + "`");
        pending.push_back(name);
    }
    while (!pending.empty()) {
        std::string name = pending.back();
        pending.pop_back();
        if (!wanted.insert(name).second)
            continue;
        // Dependencies that are not configured are ignored, as in start_order().
        if (const Service* service = find(name)) {
            for (const auto& dependency : service->dependencies()) {
                if (find(dependency))
                    pending.push_back(dependency);
            }
        }
    }
    std::vector<const Service*> out;
    for (const auto& service : ordered) {
        if (wanted.contains(service.name))
            out.push_back(&service);
    }
    return out;
}

}  // namespace corral::compose
