// Variable substitution in compose files, as RancherOS applied it to service definitions:
// `${NAME}`, `$NAME`, `${NAME:-default}` / `${NAME-default}`, and `$$` for a literal dollar.
// Values come from `rancher.environment` over a table of defaults (REGISTRY_DOMAIN, SUFFIX...).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "config/model.h"
#include "config/value.h"

namespace corral::compose {

using Environment = std::map<std::string, std::string>;

// The defaults every service file may use: REGISTRY_DOMAIN=docker.io, SUFFIX="",
// VERSION=<CorralOS version>, OS_REPO=corral, ARCH=amd64.
Environment default_environment();
// default_environment() overlaid with `rancher.environment`.
Environment environment_for(const config::CloudConfig& config);

// Substitutes one string. Unset names become "" and are listed in `missing` (when given).
ErrorOr<std::string> interpolate(std::string_view text, const Environment& environment,
                                 std::vector<std::string>* missing = nullptr);

// Substitutes every scalar of a tree (keys are left alone).
ErrorOr<config::Value> interpolate_tree(const config::Value& value, const Environment& environment,
                                        std::vector<std::string>* missing = nullptr);

// "`text`", for error messages that quote a value.
std::string backquoted(std::string_view text);

}  // namespace corral::compose
