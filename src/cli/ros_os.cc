// `ros os version` and `ros os list`: the running CorralOS version, and the versions an
// upgrade could move to (rancher.upgrade.url: a RancherOS releases file, YAML with
// `available:` image names and `current:`).
#include <cstdio>

#include "base/fs.h"
#include "cli/ros.h"
#include "config/http.h"
#include "config/tree.h"
#include "config/yaml.h"

namespace corral::cli::ros {

namespace {

int os_version() {
    std::printf("%s\n", CORRAL_VERSION);
    return 0;
}

ErrorOr<std::vector<std::string>> available(const std::string& url) {
    std::string text = config::is_http_url(url)
                           ? TRY(config::http_get(url))
                           : TRY(fs::read_file(url.starts_with("file://") ? url.substr(7) : url,
                                               config::max_document_bytes));
    config::Value document = TRY(config::parse_yaml(text, url));
    const config::Value* list = document.is_mapping() ? document.find("available") : nullptr;
    if (!list || !list->is_sequence())
        return Error::invalid(url + ": expected `available:` with a list of images");
    std::vector<std::string> out;
    for (const auto& item : list->items()) {
        if (item.is_scalar())
            out.push_back(item.text());
    }
    return out;
}

int os_list(const Context& context) {
    config::LoadedConfig loaded = config::load_config(context.paths());
    std::string image = "corral/os";
    if (const auto* configured = config::lookup(loaded.merged, "rancher.upgrade.image");
        configured && configured->is_scalar() && !configured->text().empty())
        image = configured->text();
    std::string running = image + ":v" + CORRAL_VERSION;
    std::printf("%s running\n", running.c_str());
    const auto* url = config::lookup(loaded.merged, "rancher.upgrade.url");
    if (!url || !url->is_scalar() || url->text().empty()) {
        std::fprintf(stderr,
                     "ros: os list: rancher.upgrade.url is not set: only the running "
                     "version is known\n");
        return 0;
    }
    auto versions = available(url->text());
    if (!versions)
        return fail("os list: " + versions.error().message());
    for (const auto& version : *versions) {
        if (version != running)
            std::printf("%s available\n", version.c_str());
    }
    return 0;
}

}  // namespace

void add_os_commands(CLI::App& app, Context& context) {
    CLI::App* os = app.add_subcommand("os", "The operating system's version");
    os->require_subcommand(1);
    os->add_subcommand("version", "Print the running CorralOS version")->callback([&context] {
        context.action = [] { return os_version(); };
    });
    os->add_subcommand("list", "List the running version and those rancher.upgrade.url offers")
        ->callback([&context] { context.action = [&context] { return os_list(context); }; });
}

}  // namespace corral::cli::ros
