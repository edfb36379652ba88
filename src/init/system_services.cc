#include "init/system_services.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "base/boot_timeline.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/sys.h"
#include "compose/catalog.h"
#include "compose/container.h"
#include "compose/plan.h"
#include "compose/service.h"
#include "config/layers.h"
#include "engine/restart_policy.h"
#include "nlohmann/json.hpp"

namespace corral::init {

namespace {

using ImageTags = std::vector<std::pair<std::string, std::string>>;

// Each tag of a docker-archive's manifest.json with the id of its image ("sha256:" and the hex
// of the config file's name). Entries that are not shaped so are left out.
ImageTags manifest_tags(const std::string& text) {
    ImageTags tags;
    auto manifest = nlohmann::json::parse(text, nullptr, false);
    if (!manifest.is_array())
        return tags;
    for (const auto& image : manifest) {
        if (!image.is_object() || !image.contains("Config") || !image["Config"].is_string() ||
            !image.contains("RepoTags") || !image["RepoTags"].is_array())
            continue;
        // "<hex>.json" (docker save) or "blobs/sha256/<hex>" (OCI-style names).
        std::string config = image["Config"].get<std::string>();
        config = config.substr(config.rfind('/') + 1);
        if (config.ends_with(".json"))
            config.resize(config.size() - 5);
        for (const auto& tag : image["RepoTags"])
            if (tag.is_string())
                tags.emplace_back(tag.get<std::string>(), "sha256:" + config);
    }
    return tags;
}

// The tags of a docker-archive, from its manifest.json: loading the archive through the image
// store would mean unpacking it; a small tar walk finds the manifest instead.
ImageTags archive_tags(const std::string& path) {
    auto fd = sys::open(path, O_RDONLY);
    if (!fd)
        return {};
    // ustar: 512-byte headers; name at 0 (100 bytes), size (octal) at 124 (12 bytes). PAX
    // extended headers ('x') precede entries; manifest.json is a short name, no PAX needed.
    char header[512];
    off_t offset = 0;
    for (int entries = 0; entries < 64; ++entries) {
        if (::pread(fd->get(), header, sizeof header, offset) != sizeof header || !header[0])
            break;
        std::string name(header, strnlen(header, 100));
        uint64_t size = std::strtoull(std::string(header + 124, 12).c_str(), nullptr, 8);
        offset += 512;
        if (name == "manifest.json" && size < (1 << 20)) {
            std::string text(size, '\0');
            if (::pread(fd->get(), text.data(), size, offset) != static_cast<ssize_t>(size))
                break;
            return manifest_tags(text);
        }
        offset += static_cast<off_t>((size + 511) / 512 * 512);
    }
    return {};
}

// Every tag names the very image it names in the archive (the same config digest).
bool tags_present(const image::Store& store, const ImageTags& tags) {
    return !tags.empty() && std::all_of(tags.begin(), tags.end(), [&](const auto& tag) {
        auto image = store.resolve(tag.first);
        return image && image->id == tag.second;
    });
}

}  // namespace

std::vector<std::string> load_system_images(image::Store& store, const std::string& directory) {
    std::vector<std::string> problems;
    auto files = fs::list_dir(directory);
    if (!files)
        return {files.error().message()};
    for (const auto& file : *files) {
        if (!file.ends_with(".tar"))
            continue;
        std::string path = directory + "/" + file;
        // Already loaded when every tag names the very image of the archive (same config
        // digest): a rebuilt ISO with the same tags but new content is loaded again.
        if (tags_present(store, archive_tags(path)))
            continue;
        auto fd = sys::open(path, O_RDONLY);
        if (!fd) {
            problems.push_back(fd.error().message());
            continue;
        }
        // The boot medium is trusted as the kernel and this init are, which came from it: the
        // diff ids of its layers are taken from the image configs (the archive's tar and zstd
        // framing are still checked, and the config digests are the image ids).
        auto loaded = store.load(fd->get(), {}, image::LoadOptions{.trusted = true});
        if (!loaded)
            problems.push_back("load " + file + ": " + loaded.error().message());
        else
            (void)boot_timeline::record("image " + file + " loaded");
    }
    return problems;
}

bool system_images_present(const image::Store& store, const std::string& manifests_directory) {
    auto files = fs::list_dir(manifests_directory);
    if (!files)
        return false;
    bool any = false;
    for (const auto& file : *files) {
        if (!file.ends_with(".json"))
            continue;
        auto text = fs::read_file(manifests_directory + "/" + file, 1 << 20);
        if (!text || !tags_present(store, manifest_tags(*text)))
            return false;
        any = true;
    }
    return any;
}

std::map<std::string, std::vector<std::string>> service_prerequisites(
    const std::vector<compose::Service>& services) {
    std::map<std::string, std::vector<std::string>> prerequisites;
    for (const auto& service : services)
        prerequisites[service.name];
    auto add = [&](const std::string& service, const std::string& first) {
        auto& list = prerequisites[service];
        if (first != service && std::find(list.begin(), list.end(), first) == list.end())
            list.push_back(first);
    };
    for (const auto& service : services) {
        for (const auto& dependency : service.dependencies()) {
            if (prerequisites.count(dependency))
                add(service.name, dependency);
        }
        for (const auto& later : service.before) {
            if (prerequisites.count(later))
                add(later, service.name);
        }
    }
    return prerequisites;
}

std::map<std::string, int> service_priorities(
    const std::vector<compose::Service>& services,
    const std::map<std::string, std::vector<std::string>>& prerequisites) {
    std::map<std::string, int> own;
    for (const auto& service : services)
        own[service.name] = service.createonly ? 1 : service.detach ? 2 : 4;
    // Who waits for each service.
    std::map<std::string, std::vector<std::string>> waiting;
    for (const auto& [name, needs] : prerequisites)
        for (const auto& need : needs)
            waiting[need].push_back(name);
    std::map<std::string, int> priority;
    std::set<std::string> visiting;
    // Depth-first, memoized; a cycle (the plan refuses those) counts its members once.
    std::function<int(const std::string&)> chain = [&](const std::string& name) -> int {
        if (auto found = priority.find(name); found != priority.end())
            return found->second;
        if (!visiting.insert(name).second)
            return 0;
        int behind = 0;
        for (const auto& later : waiting[name])
            behind = std::max(behind, chain(later));
        visiting.erase(name);
        int total = (own.count(name) ? own[name] : 0) + behind;
        priority[name] = total;
        return total;
    };
    for (const auto& service : services)
        chain(service.name);
    return priority;
}

namespace {

// The configured services of system scope, in start order (compose::plan_services: the
// services of the merged configuration, the enabled services_include, the chosen console and
// engine, minus rancher.disable). User-scope services belong to the user engine.
std::vector<compose::Service> system_services(const config::LayerPaths& paths,
                                              ServicesReport& report) {
    auto loaded = config::load_config(paths);
    for (const auto& error : loaded.errors)
        report.problems.push_back("configuration: " + error);
    for (const auto& problem : loaded.problems)
        report.problems.push_back("configuration: " + problem.to_string());
    // Repositories as `ros service enable` read them; URL repositories from the cache, since
    // the network is not up yet. A repository that cannot be read matters only when an
    // enabled service is in it, and the plan then says so.
    auto catalog = compose::Catalog::load(loaded.merged, paths, /*cached_only=*/true);
    report.notes = catalog.errors();
    auto plan = compose::plan_services(loaded.merged, catalog);
    if (!plan) {
        report.problems.push_back("services: " + plan.error().message());
        return {};
    }
    for (const auto& warning : plan->warnings)
        report.problems.push_back(warning);
    std::vector<compose::Service> services;
    for (auto& service : plan->services) {
        if (service.scope != compose::Scope::system)
            continue;
        if (service.request.name.empty())
            service.request.name = service.name;
        services.push_back(std::move(service));
    }
    return services;
}

bool made_container(const compose::UpResult& result) {
    return std::find(result.actions.begin(), result.actions.end(), "created") !=
           result.actions.end();
}

}  // namespace

ServicesReport bring_up_system_services(compose::ContainerEngine& engine,
                                        const BringUpOptions& options) {
    ServicesReport report;
    std::vector<compose::Service> services = system_services(options.paths, report);
    std::map<std::string, const compose::Service*> by_name;
    for (const auto& service : services)
        by_name[service.name] = &service;
    auto prerequisites = service_prerequisites(services);
    auto priorities = service_priorities(services, prerequisites);
    // The configuration's order among equals; the heaviest chain first.
    std::vector<const compose::Service*> order;
    for (const auto& service : services)
        order.push_back(&service);
    std::stable_sort(order.begin(), order.end(), [&](const auto* a, const auto* b) {
        return priorities[a->name] > priorities[b->name];
    });
    size_t limit = options.max_parallel > 0
                       ? static_cast<size_t>(options.max_parallel)
                       : std::max<size_t>(2, std::max(0L, ::sysconf(_SC_NPROCESSORS_ONLN)));

    // Every service starts on its own thread once all it waits for are done (up, or failed:
    // a failure is reported and does not hold back the others) and fewer than `limit` others
    // are being brought up, so independent services come up side by side.
    std::mutex mutex;
    std::condition_variable finished;
    std::set<std::string> done;
    std::set<std::string> launched;
    // When each service in flight was launched: one that has taken longer than
    // options.busy_for (a pull of a missing image, a one-shot that waits on something) no
    // longer holds its place, so it cannot stall the rest of the boot.
    std::map<std::string, std::chrono::steady_clock::time_point> since;
    // One `now` per round: the services counted as busy are those whose end of busy_for the
    // wait below sleeps until.
    auto busy = [&](std::chrono::steady_clock::time_point now) {
        return static_cast<size_t>(std::count_if(since.begin(), since.end(), [&](auto& entry) {
            return !done.count(entry.first) && now - entry.second < options.busy_for;
        }));
    };
    std::vector<std::thread> workers;
    std::unique_lock lock(mutex);
    while (done.size() < services.size()) {
        auto now = std::chrono::steady_clock::now();
        for (const auto* service : order) {
            const std::string& name = service->name;
            if (busy(now) >= limit)
                break;
            if (launched.count(name))
                continue;
            const auto& needs = prerequisites[name];
            if (!std::all_of(needs.begin(), needs.end(),
                             [&](const std::string& need) { return done.count(need) > 0; }))
                continue;
            launched.insert(name);
            since[name] = std::chrono::steady_clock::now();
            workers.emplace_back([&, name] {
                // A container whose definition and image are unchanged is kept (started if
                // the last boot left it stopped); a one-shot runs again on each boot, but not
                // when the engine restarted within a boot.
                compose::UpOptions up;
                up.pull_missing = true;
                up.dependency = options.again;
                auto result = compose::up_service(engine, *by_name.at(name), up);
                if (result)
                    (void)boot_timeline::record("service " + name + " up");
                std::lock_guard guard(mutex);
                if (!result) {
                    report.problems.push_back(result.error().message());
                } else {
                    report.started.push_back(name);
                    if (made_container(*result))
                        report.made.push_back(name);
                }
                done.insert(name);
                finished.notify_all();
            });
        }
        // What can let another service launch: one finishing, or one in flight passing
        // options.busy_for and giving up its place. Sleep until the first of these.
        size_t before = done.size();
        std::optional<std::chrono::steady_clock::time_point> frees_place;
        if (launched.size() != services.size()) {
            for (const auto& [name, launched_at] : since) {
                auto expires = launched_at + options.busy_for;
                if (!done.count(name) && expires > now && (!frees_place || expires < *frees_place))
                    frees_place = expires;
            }
        }
        if (frees_place)
            finished.wait_until(lock, *frees_place, [&] { return done.size() != before; });
        else
            finished.wait(lock, [&] { return done.size() != before; });
    }
    lock.unlock();
    for (auto& worker : workers)
        worker.join();
    for (const auto& service : services)
        report.containers.push_back(service.request.name);
    return report;
}

std::vector<std::string> restore_other_containers(engine::Engine& engine) {
    std::vector<std::string> problems;
    engine::ListOptions all;
    all.all = true;
    auto containers = engine.list(all);
    if (!containers)
        return {"list containers: " + containers.error().message()};
    for (const auto& container : *containers) {
        // A service container (made from a compose definition) is the bring-up's: one that
        // is not configured any more stays as it is.
        if (container.config.labels.count(std::string(compose::hash_label)))
            continue;
        const auto& state = container.state;
        if (state.status == engine::Status::running || state.status == engine::Status::paused)
            continue;
        if (engine::should_restart_on_boot(container.host_config.restart_policy, state)) {
            if (auto started = engine.start(container.id); !started)
                problems.push_back(container.name + ": start: " + started.error().message());
        } else if (container.host_config.auto_remove && state.status == engine::Status::exited) {
            engine::RemoveOptions remove;
            remove.remove_volumes = true;
            (void)engine.remove(container.id, remove);
        }
    }
    return problems;
}

}  // namespace corral::init
