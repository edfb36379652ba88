#include "engine/list_filter.h"

#include <algorithm>

namespace corral::engine {

bool labels_match(const std::map<std::string, std::string>& labels,
                  const std::vector<std::string>& filters) {
    for (const auto& filter : filters) {
        auto equals = filter.find('=');
        auto found = labels.find(filter.substr(0, equals));
        if (found == labels.end())
            return false;
        if (equals != std::string::npos && found->second != filter.substr(equals + 1))
            return false;
    }
    return true;
}

bool container_matches(const Container& container, const ListOptions& options,
                       const std::vector<std::string>& ancestor_image_ids) {
    if (!labels_match(container.config.labels, options.labels))
        return false;
    auto any = [](const std::vector<std::string>& values, auto&& predicate) {
        return values.empty() || std::any_of(values.begin(), values.end(), predicate);
    };
    if (!any(options.names, [&](const std::string& name) {
            std::string wanted = name.rfind('/', 0) == 0 ? name.substr(1) : name;
            return container.name.find(wanted) != std::string::npos;
        }))
        return false;
    if (!any(options.ids, [&](const std::string& id) { return container.id.rfind(id, 0) == 0; }))
        return false;
    if (!any(options.statuses, [&](const std::string& status) {
            return status == status_name(container.state.status);
        }))
        return false;
    if (!options.ancestors.empty()) {
        bool matched =
            std::any_of(ancestor_image_ids.begin(), ancestor_image_ids.end(),
                        [&](const std::string& id) { return id == container.image_id; }) ||
            std::any_of(options.ancestors.begin(), options.ancestors.end(),
                        [&](const std::string& name) {
                            return name == container.config.image || name == container.image_id;
                        });
        if (!matched)
            return false;
    }
    return true;
}

std::vector<Container> select_containers(std::vector<Container> containers,
                                         const ListOptions& options,
                                         const std::vector<std::string>& ancestor_image_ids) {
    bool all = options.all || !options.statuses.empty() || options.limit > 0;
    std::vector<Container> selected;
    for (auto& container : containers) {
        auto status = container.state.status;
        if (!all && status != Status::running && status != Status::restarting &&
            status != Status::paused)
            continue;
        if (container_matches(container, options, ancestor_image_ids))
            selected.push_back(std::move(container));
    }
    std::sort(selected.begin(), selected.end(), [](const Container& a, const Container& b) {
        return a.created_ns != b.created_ns ? a.created_ns > b.created_ns : a.id < b.id;
    });
    if (options.limit > 0 && selected.size() > static_cast<size_t>(options.limit))
        selected.resize(static_cast<size_t>(options.limit));
    return selected;
}

}  // namespace corral::engine
