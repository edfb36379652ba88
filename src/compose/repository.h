// Service repositories laid out as RancherOS's were: `index.yml` listing `services`,
// `consoles` and `engines`, and each service in `<first letter>/<name>.yml`. This reads a
// repository from a directory (a URL repository is fetched into the cache first).
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "config/model.h"

namespace corral::compose {

struct RepositoryIndex {
    std::vector<std::string> services;
    std::vector<std::string> consoles;
    std::vector<std::string> engines;
};

class Repository {
  public:
    static ErrorOr<Repository> open_directory(const std::string& directory);

    const RepositoryIndex& index() const { return index_; }
    const std::string& directory() const { return directory_; }
    // The file of a service, console or engine: "<dir>/z/zfs.yml".
    std::string path_of(const std::string& name) const;
    // Its text; not_found when the repository does not list or hold it.
    ErrorOr<std::string> read(const std::string& name) const;
    bool lists(const std::string& name) const;

  private:
    Repository(std::string directory, RepositoryIndex index)
        : directory_(std::move(directory)), index_(std::move(index)) {}
    std::string directory_;
    RepositoryIndex index_;
};

ErrorOr<RepositoryIndex> parse_repository_index(std::string_view text, const std::string& file);

// A service name as a path component: letters, digits, '.', '-', '_'; no leading dot.
bool is_valid_service_name(std::string_view name);

// The images the configured services use: `rancher.services`, `bootstrap` and
// `cloud_init_services`, with variables substituted; sorted, without duplicates.
ErrorOr<std::vector<std::string>> configured_images(const config::Value& merged);

}  // namespace corral::compose
