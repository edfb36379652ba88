#include "init/system_services.h"

#include <fcntl.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "base/boot_timeline.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/sys.h"
#include "compose/container.h"
#include "compose/interpolate.h"
#include "compose/order.h"
#include "compose/service.h"
#include "config/layers.h"
#include "nlohmann/json.hpp"

namespace corral::init {

namespace {

// Each tag of a docker-archive with the id of its image ("sha256:" and the hex of the config
// file's name), read from manifest.json: loading the archive through the image store would
// mean unpacking it; a small tar walk finds the manifest instead.
std::vector<std::pair<std::string, std::string>> archive_tags(const std::string& path) {
    std::vector<std::pair<std::string, std::string>> tags;
    auto fd = sys::open(path, O_RDONLY);
    if (!fd)
        return tags;
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
            auto manifest = nlohmann::json::parse(text, nullptr, false);
            if (!manifest.is_array())
                break;
            for (const auto& image : manifest) {
                if (!image.is_object() || !image.contains("Config") ||
                    !image["Config"].is_string() || !image.contains("RepoTags") ||
                    !image["RepoTags"].is_array())
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
            break;
        }
        offset += static_cast<off_t>((size + 511) / 512 * 512);
    }
    return tags;
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
        auto tags = archive_tags(path);
        bool present = !tags.empty() && std::all_of(tags.begin(), tags.end(), [&](auto& tag) {
            auto image = store.resolve(tag.first);
            return image && image->id == tag.second;
        });
        if (present)
            continue;
        auto fd = sys::open(path, O_RDONLY);
        if (!fd) {
            problems.push_back(fd.error().message());
            continue;
        }
        auto loaded = store.load(fd->get());
        if (!loaded)
            problems.push_back("load " + file + ": " + loaded.error().message());
        else
            (void)boot_timeline::record("image " + file + " loaded");
    }
    return problems;
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

namespace {

// One service: replace what an earlier boot left, create, start, and for a one-shot wait for
// its exit. Returns the problem, or nothing when the service is up.
std::optional<std::string> bring_up_one(engine::Engine& engine, const compose::Service& service) {
    const std::string& name = service.name;
    const std::string& container = service.request.name;
    // Each boot runs the current definition: replace what an earlier boot left.
    if (engine.resolve(container)) {
        engine::RemoveOptions remove;
        remove.force = true;
        if (auto removed = engine.remove(container, remove); !removed)
            return name + ": remove old container: " + removed.error().message();
    }
    // The same request `ros service up` sends, with its definition hash.
    auto created = engine.create_container(compose::container_request(service));
    if (!created)
        return name + ": create: " + created.error().message();
    if (service.createonly)
        return std::nullopt;
    if (auto started = engine.start(container); !started)
        return name + ": start: " + started.error().message();
    if (!service.detach) {
        auto waited = engine.wait(container, engine::WaitCondition::not_running, {});
        if (!waited)
            return name + ": wait: " + waited.error().message();
        if (waited->exit_code != 0)
            return name + ": exited with " + std::to_string(waited->exit_code);
    }
    return std::nullopt;
}

}  // namespace

ServicesReport bring_up_system_services(engine::Engine& engine) {
    ServicesReport report;
    auto loaded = config::load_config(config::LayerPaths{});
    for (const auto& error : loaded.errors)
        report.problems.push_back("configuration: " + error);
    for (const auto& problem : loaded.problems)
        report.problems.push_back("configuration: " + problem.to_string());
    auto typed = loaded.typed();
    auto environment = compose::environment_for(typed);

    std::vector<compose::Service> services;
    for (const auto& [name, definition] : typed.rancher.services) {
        auto service = compose::parse_service(name, definition, environment);
        if (!service) {
            report.problems.push_back(name + ": " + service.error().message());
            continue;
        }
        if (service->scope != compose::Scope::system) {
            // User-scope services belong to the user engine.
            continue;
        }
        if (service->request.name.empty())
            service->request.name = name;
        services.push_back(std::move(*service));
    }
    auto order = compose::start_order(services);
    if (!order) {
        report.problems.push_back("services: " + order.error().message());
        return report;
    }
    std::map<std::string, const compose::Service*> by_name;
    for (const auto& service : services)
        by_name[service.name] = &service;
    auto prerequisites = service_prerequisites(services);

    // Every service starts on its own thread as soon as all it waits for are done (up, or
    // failed: a failure is reported and does not hold back the others), so independent
    // services come up side by side instead of one after another.
    std::mutex mutex;
    std::condition_variable finished;
    std::set<std::string> done;
    std::set<std::string> launched;
    std::vector<std::thread> workers;
    std::unique_lock lock(mutex);
    while (done.size() < order->size()) {
        for (const auto& name : *order) {
            if (launched.count(name))
                continue;
            const auto& needs = prerequisites[name];
            if (!std::all_of(needs.begin(), needs.end(),
                             [&](const std::string& need) { return done.count(need) > 0; }))
                continue;
            launched.insert(name);
            workers.emplace_back([&, name] {
                auto problem = bring_up_one(engine, *by_name.at(name));
                if (!problem)
                    (void)boot_timeline::record("service " + name + " up");
                std::lock_guard guard(mutex);
                if (problem)
                    report.problems.push_back(std::move(*problem));
                else
                    report.started.push_back(name);
                done.insert(name);
                finished.notify_all();
            });
        }
        size_t before = done.size();
        finished.wait(lock, [&] { return done.size() != before; });
    }
    lock.unlock();
    for (auto& worker : workers)
        worker.join();
    return report;
}

}  // namespace corral::init
