#include "compose/catalog.h"

#include <algorithm>
#include <set>

#include "base/fs.h"
#include "compose/service.h"
#include "config/http.h"
#include "config/tree.h"
#include "config/yaml.h"
#include "image/digest.h"

namespace corral::compose {

namespace {

std::string trim_slash(std::string url) {
    while (url.size() > 1 && url.back() == '/')
        url.pop_back();
    return url;
}

// Fetches a file of a URL repository into the cache; a failed fetch falls back to the cached
// copy when there is one. `cached_only` reads the cached copy without fetching.
ErrorOr<std::string> fetch_cached(const std::string& url, const std::string& cache_file,
                                  bool cached_only) {
    if (cached_only)
        return TRY_CONTEXT(fs::read_file(cache_file, config::max_document_bytes),
                           "the cached copy of " + url);
    auto fetched = config::http_get(url);
    if (fetched) {
        TRY(fs::mkdir_p(fs::dirname(cache_file)));
        TRY(fs::write_file_atomic(cache_file, *fetched));
        return fetched.release_value();
    }
    auto cached = fs::read_file(cache_file, config::max_document_bytes);
    if (cached)
        return cached.release_value();
    return fetched.release_error();
}

std::vector<std::string> gather(const std::vector<Catalog::Entry>& entries,
                                std::vector<std::string> RepositoryIndex::*list) {
    std::vector<std::string> out;
    std::set<std::string> seen;
    for (const auto& entry : entries) {
        for (const auto& name : entry.index.*list) {
            if (seen.insert(name).second)
                out.push_back(name);
        }
    }
    return out;
}

}  // namespace

Catalog Catalog::load(const config::Value& merged, const config::LayerPaths& paths,
                      bool cached_only) {
    Catalog catalog;
    catalog.cached_only_ = cached_only;
    catalog.cache_dir_ = paths.cache_dir;
    const config::Value* rancher = merged.is_mapping() ? merged.find("rancher") : nullptr;
    const config::Value* repositories =
        rancher && rancher->is_mapping() ? rancher->find("repositories") : nullptr;
    if (!repositories || !repositories->is_mapping())
        return catalog;
    std::vector<std::pair<std::string, std::string>> configured;
    for (const auto& [name, item] : repositories->entries()) {
        const config::Value* url = item.is_mapping() ? item.find("url") : nullptr;
        if (url && url->is_scalar() && !url->text().empty())
            configured.emplace_back(name, trim_slash(url->text()));
    }
    std::sort(configured.begin(), configured.end());
    for (const auto& [name, url] : configured) {
        Entry entry{name, url, {}, {}};
        if (!is_valid_service_name(name)) {
            catalog.errors_.push_back("repository `" + name + "`: invalid name");
            continue;
        }
        if (config::is_http_url(url)) {
            entry.directory = fs::join(fs::join(paths.cache_dir, "repos"), name);
            auto text =
                fetch_cached(url + "/index.yml", entry.directory + "/index.yml", cached_only);
            if (!text) {
                catalog.errors_.push_back("repository " + name + ": " + text.error().message());
                continue;
            }
            auto index = parse_repository_index(*text, url + "/index.yml");
            if (!index) {
                catalog.errors_.push_back("repository " + name + ": " + index.error().message());
                continue;
            }
            entry.index = index.release_value();
        } else {
            std::string directory = url.starts_with("file://") ? url.substr(7) : url;
            auto repository = Repository::open_directory(directory);
            if (!repository) {
                catalog.errors_.push_back("repository " + name + ": " +
                                          repository.error().message());
                continue;
            }
            entry.directory = directory;
            entry.index = repository->index();
        }
        catalog.repositories_.push_back(std::move(entry));
    }
    return catalog;
}

std::vector<std::string> Catalog::services() const {
    return gather(repositories_, &RepositoryIndex::services);
}
std::vector<std::string> Catalog::consoles() const {
    return gather(repositories_, &RepositoryIndex::consoles);
}
std::vector<std::string> Catalog::engines() const {
    return gather(repositories_, &RepositoryIndex::engines);
}

ErrorOr<std::string> Catalog::read(const std::string& name) const {
    if (!is_valid_service_name(name))
        return Error::invalid("invalid service name `" + name + "`");
    for (const auto& entry : repositories_) {
        bool listed = false;
        for (const auto* list :
             {&entry.index.services, &entry.index.consoles, &entry.index.engines})
            listed |= std::find(list->begin(), list->end(), name) != list->end();
        if (!listed)
            continue;
        std::string relative = name.substr(0, 1) + "/" + name + ".yml";
        if (config::is_http_url(entry.url))
            return fetch_cached(entry.url + "/" + relative, fs::join(entry.directory, relative),
                                cached_only_);
        return fs::read_file(fs::join(entry.directory, relative), config::max_document_bytes);
    }
    return Error::not_found("no repository lists `" + name + "`");
}

ErrorOr<std::string> Catalog::read_url(const std::string& url) const {
    if (cache_dir_.empty())  // a catalog that was not loaded has no cache
        return config::http_get(url);
    // One file per URL, named by the SHA-256 of the URL: any URL makes a safe file name.
    std::string name = TRY(image::digest_hex(image::sha256_digest(url))) + ".yml";
    return fetch_cached(url, fs::join(fs::join(cache_dir_, "urls"), name), cached_only_);
}

ErrorOr<std::vector<std::string>> configured_images(const config::Value& merged,
                                                    const Catalog& catalog) {
    std::vector<std::string> images = TRY(configured_images(merged));
    const config::Value* include = config::lookup(merged, "rancher.services_include");
    if (include && include->is_mapping()) {
        Environment environment = environment_for(config::to_cloud_config(merged));
        for (const auto& [name, enabled] : include->entries()) {
            if (!enabled.as_bool().value_or(false))
                continue;
            std::string text = TRY_CONTEXT(read_service_source(catalog, name), "service " + name);
            for (const auto& service : TRY(parse_service_file(text, name, environment)))
                images.push_back(service.request.config.image);
        }
    }
    std::sort(images.begin(), images.end());
    images.erase(std::unique(images.begin(), images.end()), images.end());
    return images;
}

ErrorOr<std::string> read_service_source(const Catalog& catalog, const std::string& source) {
    if (config::is_http_url(source))
        return catalog.read_url(source);
    if (source.find('/') != std::string::npos)
        return fs::read_file(source, config::max_document_bytes);
    return catalog.read(source);
}

}  // namespace corral::compose
