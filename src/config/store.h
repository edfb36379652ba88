// What `ros config` does to the configuration: read a key of the merged config, change the
// user's cloud-config.yml (set, merge) without ever leaving a half-written or invalid file,
// and export with secrets hidden.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "config/layers.h"
#include "config/value.h"

namespace corral::config {

// The value at a dotted key of the merged configuration (all layers), or null when unset.
ErrorOr<Value> get_key(const LayerPaths& paths, std::string_view key);

// Sets a dotted key in cloud-config.yml to a YAML-typed value. Refuses (and writes nothing)
// when the change would add a validation problem; the error lists the problems.
ErrorOr<void> set_key(const LayerPaths& paths, std::string_view key, const Value& value);

// Removes a dotted key from cloud-config.yml (absent is not an error), same refusal rule.
ErrorOr<void> unset_key(const LayerPaths& paths, std::string_view key);

// Deep-merges a cloud-config document into cloud-config.yml, with the same refusal rule.
ErrorOr<void> merge_document(const LayerPaths& paths, std::string_view text,
                             const std::string& source);

struct ExportOptions {
    bool include_private = false;  // keep ssh host keys, passwords, TLS keys, registry auths
    bool full = false;             // include the built-in os-config and OEM layers
};
ErrorOr<Value> export_config(const LayerPaths& paths, const ExportOptions& options);

// Removes every secret key (schema.h is_secret_path) from a cloud-config tree.
Value without_secrets(const Value& root);

}  // namespace corral::config
