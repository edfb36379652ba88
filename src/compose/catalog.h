// The service catalog: every repository of `rancher.repositories`, in name order. A repository
// URL is a directory or an http(s) URL; URL repositories are cached under
// <cache_dir>/repos/<name>/ (index.yml and <letter>/<name>.yml), and the cached copy is used
// when the URL cannot be reached.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "compose/repository.h"
#include "config/layers.h"
#include "config/value.h"

namespace corral::compose {

class Catalog {
  public:
    // Loads every configured repository; one that cannot be loaded is reported in `errors()`
    // and left out. `cached_only`: URL repositories are read from the cache and never fetched
    // (init at boot, before the network is up).
    static Catalog load(const config::Value& merged, const config::LayerPaths& paths,
                        bool cached_only = false);

    struct Entry {
        std::string repository;  // its name in rancher.repositories
        std::string url;
        std::string directory;  // where index.yml and the service files are read
        RepositoryIndex index;
    };
    const std::vector<Entry>& repositories() const { return repositories_; }
    const std::vector<std::string>& errors() const { return errors_; }

    // All services, consoles or engines of all repositories, without duplicates, in order.
    std::vector<std::string> services() const;
    std::vector<std::string> consoles() const;
    std::vector<std::string> engines() const;

    // The text of a listed service, console or engine (fetched and cached for URL repositories).
    ErrorOr<std::string> read(const std::string& name) const;
    // The text of a service file named by its http(s) URL (`ros service enable URL`): fetched
    // and cached as URL repositories' files are, so that it is found at boot before the
    // network is up, and when its server is gone.
    ErrorOr<std::string> read_url(const std::string& url) const;

  private:
    bool cached_only_ = false;
    std::string cache_dir_;
    std::vector<Entry> repositories_;
    std::vector<std::string> errors_;
};

// configured_images() plus the images of the services enabled in `rancher.services_include`
// (read through the catalog); an enabled service that cannot be read is an error naming it.
ErrorOr<std::vector<std::string>> configured_images(const config::Value& merged,
                                                    const Catalog& catalog);

// Reads a service file named by `ros service enable`: a catalog name, a local path or an
// http(s) URL. Returns its text.
ErrorOr<std::string> read_service_source(const Catalog& catalog, const std::string& source);

}  // namespace corral::compose
