#include "compose/repository.h"

#include <algorithm>
#include <set>

#include "base/fs.h"
#include "compose/interpolate.h"
#include "compose/service.h"
#include "config/yaml.h"

namespace corral::compose {

bool is_valid_service_name(std::string_view name) {
    if (name.empty() || name.size() > 128 || name[0] == '.' || name[0] == '-')
        return false;
    for (char c : name) {
        bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
        if (!ok)
            return false;
    }
    return true;
}

ErrorOr<RepositoryIndex> parse_repository_index(std::string_view text, const std::string& file) {
    config::Value document = TRY(config::parse_yaml(text, file));
    RepositoryIndex index;
    if (document.is_null())
        return index;
    if (!document.is_mapping())
        return Error::invalid(file + ": expected a map with services, consoles, engines");
    auto read_list = [&](std::string_view key, std::vector<std::string>& out) -> ErrorOr<void> {
        const config::Value* list = document.find(key);
        if (!list || list->is_null())
            return {};
        if (!list->is_sequence())
            return Error::invalid(config::format_mark(list->mark()) + std::string(key) +
                                  ": expected a list of names");
        for (const auto& item : list->items()) {
            if (!item.is_scalar() || !is_valid_service_name(item.text()))
                return Error::invalid(config::format_mark(item.mark()) + std::string(key) +
                                      ": invalid name " + item.describe());
            out.push_back(item.text());
        }
        return {};
    };
    TRY(read_list("services", index.services));
    TRY(read_list("consoles", index.consoles));
    TRY(read_list("engines", index.engines));
    return index;
}

ErrorOr<Repository> Repository::open_directory(const std::string& directory) {
    std::string file = fs::join(directory, "index.yml");
    std::string text = TRY_CONTEXT(fs::read_file(file, config::max_document_bytes),
                                   "service repository " + directory);
    RepositoryIndex index = TRY(parse_repository_index(text, file));
    return Repository(directory, std::move(index));
}

std::string Repository::path_of(const std::string& name) const {
    return fs::join(fs::join(directory_, name.substr(0, 1)), name + ".yml");
}

bool Repository::lists(const std::string& name) const {
    for (const auto* list : {&index_.services, &index_.consoles, &index_.engines}) {
        if (std::find(list->begin(), list->end(), name) != list->end())
            return true;
    }
    return false;
}

ErrorOr<std::string> Repository::read(const std::string& name) const {
    if (!is_valid_service_name(name))
        return Error::invalid("invalid service name `" + name + "`");
    if (!lists(name))
        return Error::not_found("service " + name + " is not in the repository " + directory_);
    return fs::read_file(path_of(name), config::max_document_bytes);
}

ErrorOr<std::vector<std::string>> configured_images(const config::Value& merged) {
    Environment environment = environment_for(config::to_cloud_config(merged));
    std::set<std::string> images;
    const config::Value* rancher = merged.is_mapping() ? merged.find("rancher") : nullptr;
    if (!rancher || !rancher->is_mapping())
        return std::vector<std::string>{};
    for (const char* section : {"bootstrap", "cloud_init_services", "services"}) {
        const config::Value* services = rancher->find(section);
        if (!services || !services->is_mapping())
            continue;
        for (const auto& [name, definition] : services->entries()) {
            const config::Value* image =
                definition.is_mapping() ? definition.find("image") : nullptr;
            if (!image || !image->is_scalar())
                continue;
            std::string text =
                TRY_CONTEXT(interpolate(image->text(), environment), "service " + name);
            if (!text.empty())
                images.insert(text);
        }
    }
    return std::vector<std::string>(images.begin(), images.end());
}

}  // namespace corral::compose
