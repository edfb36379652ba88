#include "compose/order.h"

#include <algorithm>
#include <map>
#include <set>

namespace corral::compose {

ErrorOr<std::vector<std::string>> start_order(const std::vector<Service>& services) {
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < services.size(); ++i) {
        if (!index.emplace(services[i].name, i).second)
            return Error::invalid("service " + services[i].name + " is defined twice");
    }
    // edges[a] contains b: a must start before b.
    std::vector<std::set<size_t>> edges(services.size());
    for (size_t i = 0; i < services.size(); ++i) {
        for (const auto& dependency : services[i].dependencies()) {
            if (auto found = index.find(dependency); found != index.end() && found->second != i)
                edges[found->second].insert(i);
        }
        for (const auto& later : services[i].before) {
            if (auto found = index.find(later); found != index.end() && found->second != i)
                edges[i].insert(found->second);
        }
    }
    std::vector<size_t> incoming(services.size(), 0);
    for (const auto& targets : edges) {
        for (size_t target : targets)
            ++incoming[target];
    }
    std::vector<std::string> order;
    std::vector<bool> done(services.size(), false);
    // Kahn's algorithm, always taking the first ready service in input order.
    for (size_t emitted = 0; emitted < services.size(); ++emitted) {
        size_t next = services.size();
        for (size_t i = 0; i < services.size(); ++i) {
            if (!done[i] && incoming[i] == 0) {
                next = i;
                break;
            }
        }
        if (next == services.size())
            break;
        done[next] = true;
        order.push_back(services[next].name);
        for (size_t target : edges[next])
            --incoming[target];
    }
    if (order.size() == services.size())
        return order;

    // Walk the remaining graph from a stuck node until a node repeats: that is the cycle.
    size_t start = 0;
    while (done[start])
        ++start;
    std::vector<size_t> path;
    std::vector<int> position(services.size(), -1);
    size_t node = start;
    // Follow predecessors (what `node` waits for) among the nodes not yet ordered.
    while (position[node] < 0) {
        position[node] = static_cast<int>(path.size());
        path.push_back(node);
        size_t predecessor = services.size();
        for (size_t i = 0; i < services.size(); ++i) {
            if (!done[i] && edges[i].contains(node)) {
                predecessor = i;
                break;
            }
        }
        node = predecessor;
    }
    std::vector<size_t> cycle(path.begin() + position[node], path.end());
    std::reverse(cycle.begin(), cycle.end());
    // Start the report at the member defined first, so it reads the same on every run.
    std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
    std::string text;
    for (size_t member : cycle)
        text += services[member].name + " → ";
    text += services[cycle.front()].name;
    return Error::invalid("dependency cycle: " + text);
}

}  // namespace corral::compose
