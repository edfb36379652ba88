#include "config/store.h"

#include <set>

#include "base/fs.h"
#include "config/tree.h"
#include "config/yaml.h"

namespace corral::config {

namespace {

std::string problem_key(const Problem& problem) {
    return problem.path + ": " + problem.message;
}

// Writes `updated` to the user's file unless it has problems that `current` did not.
ErrorOr<void> write_if_valid(const LayerPaths& paths, const Value& current, const Value& updated) {
    std::set<std::string> before;
    for (const auto& problem : validate_cloud_config(current))
        before.insert(problem_key(problem));
    std::string refused;
    for (const auto& problem : validate_cloud_config(updated)) {
        if (!before.contains(problem_key(problem)))
            refused += "\n  " + problem.path + ": " + problem.message;
    }
    if (!refused.empty())
        return Error::invalid("refusing to write " + paths.cloud_config_file +
                              ", the result would not validate:" + refused);
    TRY(fs::mkdir_p(fs::dirname(paths.cloud_config_file)));
    // Mode 0600: the user's file may hold passwords and keys.
    std::string text = "#cloud-config\n" + emit_yaml(updated);
    TRY(fs::write_file_atomic(paths.cloud_config_file, text, 0600));
    return {};
}

ErrorOr<Value> read_user_file(const LayerPaths& paths) {
    auto document = TRY(read_cloud_config(paths.cloud_config_file));
    if (document.value.is_null())
        return Value::mapping();
    if (!document.value.is_mapping())
        return Error::invalid(paths.cloud_config_file + ": not a map of cloud-config keys");
    return document.value;
}

void strip_secrets(Value& node, const std::string& path) {
    if (!node.is_mapping())
        return;
    std::vector<std::string> secrets;
    for (auto& [key, value] : node.entries()) {
        std::string child = path.empty() ? key : path + "." + key;
        if (is_secret_path(child))
            secrets.push_back(key);
        else
            strip_secrets(value, child);
    }
    for (const auto& key : secrets)
        node.erase(key);
}

}  // namespace

ErrorOr<Value> get_key(const LayerPaths& paths, std::string_view key) {
    LoadedConfig loaded = load_config(paths);
    const Value* value = lookup(loaded.merged, key);
    return value ? *value : Value::null();
}

ErrorOr<void> set_key(const LayerPaths& paths, std::string_view key, const Value& value) {
    Value current = TRY(read_user_file(paths));
    Value updated = current;
    TRY(assign(updated, key, value));
    return write_if_valid(paths, current, updated);
}

ErrorOr<void> unset_key(const LayerPaths& paths, std::string_view key) {
    Value current = TRY(read_user_file(paths));
    Value updated = current;
    if (!remove(updated, key))
        return {};
    return write_if_valid(paths, current, updated);
}

ErrorOr<void> merge_document(const LayerPaths& paths, std::string_view text,
                             const std::string& source) {
    ParsedDocument incoming = TRY(parse_cloud_config(text, source));
    if (incoming.value.is_null())
        return {};
    if (!incoming.value.is_mapping())
        return Error::invalid(source + ": not a map of cloud-config keys");
    Value current = TRY(read_user_file(paths));
    return write_if_valid(paths, current, merge(current, incoming.value));
}

ErrorOr<Value> export_config(const LayerPaths& paths, const ExportOptions& options) {
    LoadOptions load;
    load.system_layers = options.full;
    LoadedConfig loaded = load_config(paths, load);
    if (options.include_private)
        return loaded.merged;
    return without_secrets(loaded.merged);
}

Value without_secrets(const Value& root) {
    Value copy = root;
    strip_secrets(copy, "");
    return copy;
}

}  // namespace corral::config
