#include "config/layers.h"

#include <sys/stat.h>

#include "base/fs.h"
#include "base/sys.h"
#include "config/cmdline.h"
#include "config/tree.h"
#include "config/yaml.h"

namespace corral::config {

LayerPaths LayerPaths::under(const std::string& root) {
    LayerPaths paths;
    if (root.empty() || root == "/")
        return paths;
    std::string base = root.back() == '/' ? root.substr(0, root.size() - 1) : root;
    paths.os_config = base + paths.os_config;
    paths.oem_config = base + paths.oem_config;
    paths.cloud_config_dir = base + paths.cloud_config_dir;
    paths.cloud_config_file = base + paths.cloud_config_file;
    paths.cmdline_file = base + paths.cmdline_file;
    paths.cache_dir = base + paths.cache_dir;
    return paths;
}

ErrorOr<ParsedDocument> parse_cloud_config(std::string_view text, const std::string& file) {
    ParsedDocument document;
    document.value = TRY(parse_yaml(text, file));
    document.problems = validate_cloud_config(document.value);
    return document;
}

ErrorOr<ParsedDocument> read_cloud_config(const std::string& path) {
    auto present = TRY(sys::stat_if_exists(path));
    if (!present)
        return ParsedDocument{};
    std::string text = TRY(fs::read_file(path, max_document_bytes));
    return parse_cloud_config(text, path);
}

std::vector<std::string> cloud_config_dir_files(const std::string& dir) {
    std::vector<std::string> files;
    auto names = fs::list_dir(dir);
    if (!names)
        return files;
    for (const auto& name : *names) {
        if (name.starts_with("."))
            continue;
        if (!name.ends_with(".yml") && !name.ends_with(".yaml"))
            continue;
        std::string path = fs::join(dir, name);
        auto st = sys::stat(path);
        if (st && S_ISREG(st->st_mode))
            files.push_back(path);
    }
    return files;
}

namespace {

void add_layer(LoadedConfig& loaded, std::string source, ParsedDocument document) {
    for (auto& problem : document.problems)
        loaded.problems.push_back(std::move(problem));
    if (document.value.is_null())
        return;
    if (!document.value.is_mapping()) {
        loaded.errors.push_back(source + ": not a map of cloud-config keys; skipped");
        return;
    }
    loaded.merged = merge(loaded.merged, document.value);
    loaded.layers.push_back(Layer{std::move(source), std::move(document.value)});
}

void add_file(LoadedConfig& loaded, const std::string& path) {
    auto document = read_cloud_config(path);
    if (!document) {
        loaded.errors.push_back(document.error().message());
        return;
    }
    add_layer(loaded, path, document.release_value());
}

}  // namespace

LoadedConfig load_config(const LayerPaths& paths, const LoadOptions& options) {
    LoadedConfig loaded;
    loaded.merged = Value::mapping();
    if (options.system_layers) {
        add_file(loaded, paths.os_config);
        add_file(loaded, paths.oem_config);
    }
    if (options.user_layers) {
        for (const auto& path : cloud_config_dir_files(paths.cloud_config_dir))
            add_file(loaded, path);
        add_file(loaded, paths.cloud_config_file);
    }
    if (options.kernel_cmdline) {
        std::string text;
        if (options.cmdline) {
            text = *options.cmdline;
        } else if (auto content = fs::read_file(paths.cmdline_file, max_cmdline_bytes)) {
            text = content.release_value();
        }
        KernelCmdline cmdline = parse_kernel_cmdline(text);
        for (const auto& rejected : cmdline.rejected)
            loaded.errors.push_back("kernel command line: " + rejected);
        ParsedDocument document;
        document.problems = validate_cloud_config(cmdline.config);
        for (auto& problem : document.problems)
            problem.mark.file = "kernel command line";
        document.value = std::move(cmdline.config);
        add_layer(loaded, "kernel command line", std::move(document));
    }
    return loaded;
}

}  // namespace corral::config
