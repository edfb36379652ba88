#include "init/system_services.h"

#include <fcntl.h>

#include <algorithm>
#include <map>

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

// The RepoTags of a docker-archive, read from its manifest.json through the image store's own
// parser would mean loading it; a small tar walk finds the manifest instead.
std::vector<std::string> archive_tags(const std::string& path) {
    std::vector<std::string> tags;
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
            if (manifest.is_array()) {
                for (const auto& image : manifest) {
                    if (image.contains("RepoTags") && image["RepoTags"].is_array()) {
                        for (const auto& tag : image["RepoTags"])
                            if (tag.is_string())
                                tags.push_back(tag.get<std::string>());
                    }
                }
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
        auto tags = archive_tags(path);
        bool present = !tags.empty() && std::all_of(tags.begin(), tags.end(), [&](auto& tag) {
            return bool(store.resolve(tag));
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

    for (const auto& name : *order) {
        const compose::Service& service = *by_name.at(name);
        const std::string& container = service.request.name;
        // Each boot runs the current definition: replace what an earlier boot left.
        if (engine.resolve(container)) {
            engine::RemoveOptions remove;
            remove.force = true;
            if (auto removed = engine.remove(container, remove); !removed) {
                report.problems.push_back(name +
                                          ": remove old container: " + removed.error().message());
                continue;
            }
        }
        // The same request `ros service up` sends, with its definition hash.
        auto created = engine.create_container(compose::container_request(service));
        if (!created) {
            report.problems.push_back(name + ": create: " + created.error().message());
            continue;
        }
        if (service.createonly)
            continue;
        if (auto started = engine.start(container); !started) {
            report.problems.push_back(name + ": start: " + started.error().message());
            continue;
        }
        if (!service.detach) {
            auto waited = engine.wait(container, engine::WaitCondition::not_running, {});
            if (!waited)
                report.problems.push_back(name + ": wait: " + waited.error().message());
            else if (waited->exit_code != 0)
                report.problems.push_back(name + ": exited with " +
                                          std::to_string(waited->exit_code));
        }
        (void)boot_timeline::record("service " + name + " up");
        report.started.push_back(name);
    }
    return report;
}

}  // namespace corral::init
