// The cloud-config schema: a table of every key CorralOS (and RancherOS 1.x before it) knows,
// with its type. Validation walks a Value against it and reports each problem with the dotted
// path of the key and its line, so a typo (`rancher.netwrk`) or a wrong type
// (`shutdown_timeout: abc`) is named precisely.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/value.h"

namespace corral::config {

struct Problem {
    Mark mark;
    std::string path;     // "rancher.network.interfaces.eth0.mtu", "write_files[2].path"
    std::string message;  // "unknown key", "expected an integer, got \"abc\""
    // "cloud-config.yml:4:3: rancher.netwrk: unknown key"
    std::string to_string() const;
};

// Checks a whole cloud-config document (the root must be a map or empty).
std::vector<Problem> validate_cloud_config(const Value& root);

// Checks one compose-format service definition; `path` prefixes the reported keys
// ("rancher.services.console").
std::vector<Problem> validate_service(const Value& service, const std::string& path);

// Whether the key at dotted `path` is a map with free-form keys whose names may contain dots
// (`rancher.sysctl`, `rancher.environment`): `set rancher.sysctl.net.ipv4.ip_forward` then
// names one key.
bool free_form_key_here(std::string_view path);

// Whether a dotted path holds a secret (ssh host keys, passwords, TLS keys, registry
// credentials) that `export` hides unless asked.
bool is_secret_path(std::string_view path);

// Every dotted key of the schema with its type name ("rancher.state.dev  string"), for the
// documentation and shell completion; free-form maps end in ".*".
std::vector<std::pair<std::string, std::string>> schema_keys();

}  // namespace corral::config
