#include "config/schema.h"

#include <span>

#include "config/tree.h"
#include "config/yaml.h"

namespace corral::config {

namespace {

enum class Type {
    any,             // anything
    string,          // any scalar (numbers and booleans read as their text)
    integer,         // a scalar that is an integer
    boolean,         // a scalar that is true/false (yes/no/on/off)
    bool_or_int,     // a boolean or an integer (`rancher.state.wait: true` or seconds)
    string_list,     // a list of scalars
    list,            // a list of anything
    string_or_list,  // a scalar, or a list of scalars (compose `command`)
    list_or_map,     // a list of "K=V" scalars or a map of scalars (compose `environment`)
    object,          // a map with any keys and any values
    scalar_map,      // a map of scalars with free-form keys (`sysctl`, `environment`)
    bool_map,        // a map of booleans with free-form keys (`services_include`)
    map_of,          // a map with free-form keys whose values follow `element`
    list_of,         // a list whose items follow `element`
    record,          // a map with the fixed keys in `fields`
    command_list,    // a list whose items are a shell string or an argv list (`runcmd`)
    mount_list,      // a list of lists of scalars (`mounts`)
};

struct Field;

struct Schema {
    Type type;
    std::span<const Field> fields = {};
    const Schema* element = nullptr;
};

struct Field {
    std::string_view name;
    const Schema* schema;
};

const Schema any_schema{Type::any};
const Schema string_schema{Type::string};
const Schema integer_schema{Type::integer};
const Schema boolean_schema{Type::boolean};
const Schema bool_or_int_schema{Type::bool_or_int};
const Schema string_list_schema{Type::string_list};
const Schema string_or_list_schema{Type::string_or_list};
const Schema list_or_map_schema{Type::list_or_map};
const Schema object_schema{Type::object};
const Schema scalar_map_schema{Type::scalar_map};
const Schema bool_map_schema{Type::bool_map};
const Schema command_list_schema{Type::command_list};
const Schema mount_list_schema{Type::mount_list};

// Compose-format service keys (the subset of docker-compose v1/v2 that RancherOS services
// use, and the common ones users write).
const Field service_fields[] = {
    {"build", &any_schema},
    {"cap_add", &string_list_schema},
    {"cap_drop", &string_list_schema},
    {"cgroup_parent", &string_schema},
    {"command", &string_or_list_schema},
    {"container_name", &string_schema},
    {"cpu_period", &integer_schema},
    {"cpu_quota", &integer_schema},
    {"cpu_shares", &integer_schema},
    {"cpus", &string_schema},
    {"cpuset", &string_schema},
    {"devices", &string_list_schema},
    {"dns", &string_or_list_schema},
    {"dns_search", &string_or_list_schema},
    {"dockerfile", &string_schema},
    {"domainname", &string_schema},
    {"entrypoint", &string_or_list_schema},
    {"env_file", &string_or_list_schema},
    {"environment", &list_or_map_schema},
    {"expose", &string_list_schema},
    {"extends", &any_schema},
    {"external_links", &string_list_schema},
    {"extra_hosts", &list_or_map_schema},
    {"group_add", &string_list_schema},
    {"hostname", &string_schema},
    {"image", &string_schema},
    {"init", &boolean_schema},
    {"ipc", &string_schema},
    {"labels", &list_or_map_schema},
    {"links", &string_list_schema},
    {"log_driver", &string_schema},
    {"log_opt", &scalar_map_schema},
    {"logging", &object_schema},
    {"mac_address", &string_schema},
    {"mem_limit", &string_schema},
    {"mem_reservation", &string_schema},
    {"mem_swappiness", &integer_schema},
    {"memswap_limit", &string_schema},
    {"net", &string_schema},
    {"network_mode", &string_schema},
    {"networks", &any_schema},
    {"oom_kill_disable", &boolean_schema},
    {"oom_score_adj", &integer_schema},
    {"pid", &string_schema},
    {"pids_limit", &integer_schema},
    {"ports", &string_list_schema},
    {"privileged", &boolean_schema},
    {"read_only", &boolean_schema},
    {"restart", &string_schema},
    {"security_opt", &string_list_schema},
    {"shm_size", &string_schema},
    {"stdin_open", &boolean_schema},
    {"stop_grace_period", &string_schema},
    {"stop_signal", &string_schema},
    {"sysctls", &list_or_map_schema},
    {"tmpfs", &string_or_list_schema},
    {"tty", &boolean_schema},
    {"ulimits", &object_schema},
    {"user", &string_schema},
    {"uts", &string_schema},
    {"volume_driver", &string_schema},
    {"volumes", &string_list_schema},
    {"volumes_from", &string_list_schema},
    {"working_dir", &string_schema},
};
const Schema service_schema{Type::record, service_fields};
const Schema services_schema{Type::map_of, {}, &service_schema};

const Field file_fields[] = {
    {"append", &boolean_schema},     {"container", &string_schema}, {"content", &string_schema},
    {"encoding", &string_schema},    {"owner", &string_schema},     {"path", &string_schema},
    {"permissions", &string_schema},
};
const Schema file_schema{Type::record, file_fields};
const Schema file_list_schema{Type::list_of, {}, &file_schema};

const Field interface_fields[] = {
    {"address", &string_schema},      {"addresses", &string_list_schema},
    {"bond", &string_schema},         {"bond_opts", &scalar_map_schema},
    {"bridge", &string_schema},       {"dhcp", &boolean_schema},
    {"dhcp_args", &string_schema},    {"gateway", &string_schema},
    {"gateway_ipv6", &string_schema}, {"ipv4ll", &boolean_schema},
    {"match", &string_schema},        {"mtu", &integer_schema},
    {"post_up", &string_list_schema}, {"pre_up", &string_list_schema},
    {"vlans", &string_schema},        {"wifi_network", &string_schema},
};
const Schema interface_schema{Type::record, interface_fields};
const Schema interfaces_schema{Type::map_of, {}, &interface_schema};

const Field dns_fields[] = {
    {"domain", &string_schema},
    {"nameservers", &string_list_schema},
    {"options", &string_list_schema},
    {"search", &string_list_schema},
};
const Schema dns_schema{Type::record, dns_fields};

const Field wifi_fields[] = {
    {"address", &string_schema},
    {"anonymous_identity", &string_schema},
    {"ca_certs", &string_list_schema},
    {"client_certs", &string_list_schema},
    {"eap", &string_schema},
    {"eapol_flags", &integer_schema},
    {"gateway", &string_schema},
    {"group", &string_schema},
    {"identity", &string_schema},
    {"key_mgmt", &string_schema},
    {"pairwise", &string_schema},
    {"password", &string_schema},
    {"phases", &string_list_schema},
    {"priority", &integer_schema},
    {"private_key_passwds", &string_list_schema},
    {"private_keys", &string_list_schema},
    {"psk", &string_schema},
    {"scan_ssid", &integer_schema},
    {"ssid", &string_schema},
};
const Schema wifi_schema{Type::record, wifi_fields};
const Schema wifis_schema{Type::map_of, {}, &wifi_schema};

const Field modem_fields[] = {{"apn", &string_schema}, {"extra_args", &string_schema}};
const Schema modem_schema{Type::record, modem_fields};
const Schema modems_schema{Type::map_of, {}, &modem_schema};

const Field network_fields[] = {
    {"dhcp_timeout", &integer_schema},  {"dns", &dns_schema},
    {"http_proxy", &string_schema},     {"https_proxy", &string_schema},
    {"interfaces", &interfaces_schema}, {"modem_networks", &modems_schema},
    {"no_proxy", &string_schema},       {"post_cmds", &string_list_schema},
    {"pre_cmds", &string_list_schema},  {"wifi_networks", &wifis_schema},
};
const Schema network_schema{Type::record, network_fields};

// The keys of `rancher.docker`, `rancher.system_docker` and `rancher.bootstrap_docker`:
// dockerd options by their config names plus how RancherOS ran the engine.
const Field docker_fields[] = {
    {"args", &string_list_schema},
    {"bip", &string_schema},
    {"bridge", &string_schema},
    {"ca_cert", &string_schema},
    {"ca_key", &string_schema},
    {"config_file", &string_schema},
    {"containerd", &string_schema},
    {"debug", &boolean_schema},
    {"engine", &string_schema},
    {"environment", &string_list_schema},
    {"exec", &boolean_schema},
    {"exec_root", &string_schema},
    {"extra_args", &string_list_schema},
    {"graph", &string_schema},
    {"group", &string_schema},
    {"host", &string_list_schema},
    {"insecure_registry", &string_list_schema},
    {"live_restore", &boolean_schema},
    {"log_driver", &string_schema},
    {"log_opts", &scalar_map_schema},
    {"pid_file", &string_schema},
    {"registry_mirror", &string_schema},
    {"restart", &boolean_schema},
    {"selinux_enabled", &boolean_schema},
    {"server_cert", &string_schema},
    {"server_key", &string_schema},
    {"storage_context", &string_schema},
    {"storage_driver", &string_schema},
    {"tls", &boolean_schema},
    {"tls_args", &string_list_schema},
    {"userland_proxy", &boolean_schema},
};
const Schema docker_schema{Type::record, docker_fields};

const Field ssh_fields[] = {
    {"daemon", &boolean_schema},
    {"keys", &scalar_map_schema},
    {"listen_address", &string_schema},
    {"port", &integer_schema},
};
const Schema ssh_schema{Type::record, ssh_fields};

const Field state_fields[] = {
    {"autoformat", &string_list_schema},
    {"boot_dev", &string_schema},
    {"boot_fstype", &string_schema},
    {"cryptsetup", &boolean_schema},
    {"dev", &string_schema},
    {"directory", &string_schema},
    {"disabled", &boolean_schema},
    {"formatzero", &boolean_schema},
    {"fstype", &string_schema},
    {"lvm_scan", &boolean_schema},
    {"mdadm_scan", &boolean_schema},
    {"oem_dev", &string_schema},
    {"oem_fstype", &string_schema},
    {"required", &boolean_schema},
    {"rngd", &boolean_schema},
    {"script", &string_schema},
    {"wait", &bool_or_int_schema},
};
const Schema state_schema{Type::record, state_fields};

const Field upgrade_fields[] = {
    {"image", &string_schema},
    {"policy", &string_schema},
    {"rollback", &string_schema},
    {"url", &string_schema},
};
const Schema upgrade_schema{Type::record, upgrade_fields};

const Field cloud_init_fields[] = {{"datasources", &string_list_schema}};
const Schema cloud_init_schema{Type::record, cloud_init_fields};

const Field repository_fields[] = {{"url", &string_schema}};
const Schema repository_schema{Type::record, repository_fields};
const Schema repositories_schema{Type::map_of, {}, &repository_schema};

const Field registry_auth_fields[] = {
    {"auth", &string_schema},          {"email", &string_schema},
    {"identitytoken", &string_schema}, {"password", &string_schema},
    {"registrytoken", &string_schema}, {"serveraddress", &string_schema},
    {"username", &string_schema},
};
const Schema registry_auth_schema{Type::record, registry_auth_fields};
const Schema registry_auths_schema{Type::map_of, {}, &registry_auth_schema};

const Field defaults_fields[] = {
    {"docker", &docker_schema},
    {"hostname", &string_schema},
    {"network", &network_schema},
    {"system_docker_logs", &string_schema},
};
const Schema defaults_schema{Type::record, defaults_fields};

const Field rancher_fields[] = {
    {"autoformat", &object_schema},
    {"autologin", &string_schema},
    {"bootstrap", &services_schema},
    {"bootstrap_docker", &docker_schema},
    {"cloud_init", &cloud_init_schema},
    {"cloud_init_services", &services_schema},
    {"console", &string_schema},
    {"debug", &boolean_schema},
    {"defaults", &defaults_schema},
    {"disable", &string_list_schema},
    {"docker", &docker_schema},
    {"environment", &scalar_map_schema},
    {"force_console_rebuild", &boolean_schema},
    {"http_load_retries", &integer_schema},
    {"hypervisor_service", &boolean_schema},
    {"log", &boolean_schema},
    {"modules", &string_list_schema},
    {"network", &network_schema},
    {"no_sharedroot", &boolean_schema},
    {"nostate", &boolean_schema},
    {"password", &string_schema},
    {"preload_wait", &boolean_schema},
    {"recovery", &boolean_schema},
    {"registry_auths", &registry_auths_schema},
    {"repositories", &repositories_schema},
    {"resize_device", &string_schema},
    {"restart_services", &string_list_schema},
    {"rm_usr", &boolean_schema},
    {"services", &services_schema},
    {"services_include", &bool_map_schema},
    {"shutdown_timeout", &integer_schema},
    {"ssh", &ssh_schema},
    {"state", &state_schema},
    {"sysctl", &scalar_map_schema},
    {"system_docker", &docker_schema},
    {"upgrade", &upgrade_schema},
};
const Schema rancher_schema{Type::record, rancher_fields};

const Field root_fields[] = {
    {"bootcmd", &command_list_schema},  {"hostname", &string_schema},
    {"mounts", &mount_list_schema},     {"rancher", &rancher_schema},
    {"runcmd", &command_list_schema},   {"ssh_authorized_keys", &string_list_schema},
    {"write_files", &file_list_schema},
};
const Schema root_schema{Type::record, root_fields};

const char* type_name(Type type) {
    switch (type) {
        case Type::any:
            return "anything";
        case Type::string:
            return "a string";
        case Type::integer:
            return "an integer";
        case Type::boolean:
            return "a boolean";
        case Type::bool_or_int:
            return "a boolean or an integer";
        case Type::string_list:
            return "a list of strings";
        case Type::list:
        case Type::list_of:
            return "a list";
        case Type::string_or_list:
            return "a string or a list of strings";
        case Type::list_or_map:
            return "a list or a map";
        case Type::object:
        case Type::map_of:
        case Type::record:
            return "a map";
        case Type::scalar_map:
            return "a map of strings";
        case Type::bool_map:
            return "a map of booleans";
        case Type::command_list:
            return "a list of commands";
        case Type::mount_list:
            return "a list of mount entries";
    }
    return "?";
}

std::string child_path(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string item_path(const std::string& path, size_t index) {
    return path + "[" + std::to_string(index) + "]";
}

struct Validator {
    std::vector<Problem>& problems;

    void report(const Value& value, const std::string& path, std::string message) {
        problems.push_back(Problem{value.mark(), path, std::move(message)});
    }

    void expected(const Value& value, const std::string& path, const char* what) {
        report(value, path, std::string("expected ") + what + ", got " + value.describe());
    }

    void check_scalar_items(const Value& value, const std::string& path) {
        for (size_t i = 0; i < value.items().size(); ++i) {
            const Value& item = value.items()[i];
            if (!item.is_scalar() && !item.is_null())
                expected(item, item_path(path, i), "a string");
        }
    }

    void check(const Value& value, const Schema& schema, const std::string& path) {
        // An empty key (`rancher:` with nothing after it) means "not set" for every type.
        if (value.is_null())
            return;
        switch (schema.type) {
            case Type::any:
                return;
            case Type::string:
                if (!value.is_scalar())
                    expected(value, path, "a string");
                return;
            case Type::integer:
                if (!value.as_int())
                    expected(value, path, "an integer");
                return;
            case Type::boolean:
                if (!value.as_bool())
                    expected(value, path, "a boolean");
                return;
            case Type::bool_or_int:
                if (!value.as_bool() && !value.as_int())
                    expected(value, path, "a boolean or an integer");
                return;
            case Type::string_list:
                if (!value.is_sequence())
                    return expected(value, path, "a list of strings");
                check_scalar_items(value, path);
                return;
            case Type::list:
                if (!value.is_sequence())
                    expected(value, path, "a list");
                return;
            case Type::string_or_list:
                if (value.is_sequence())
                    check_scalar_items(value, path);
                else if (!value.is_scalar())
                    expected(value, path, "a string or a list of strings");
                return;
            case Type::list_or_map:
                if (value.is_sequence())
                    check_scalar_items(value, path);
                else if (value.is_mapping())
                    check_scalar_map(value, path);
                else
                    expected(value, path, "a list or a map");
                return;
            case Type::object:
                if (!value.is_mapping())
                    expected(value, path, "a map");
                return;
            case Type::scalar_map:
                if (!value.is_mapping())
                    return expected(value, path, "a map of strings");
                check_scalar_map(value, path);
                return;
            case Type::bool_map:
                if (!value.is_mapping())
                    return expected(value, path, "a map of booleans");
                for (const auto& [key, item] : value.entries()) {
                    if (!item.is_null() && !item.as_bool())
                        expected(item, child_path(path, key), "a boolean");
                }
                return;
            case Type::map_of:
                if (!value.is_mapping())
                    return expected(value, path, "a map");
                for (const auto& [key, item] : value.entries())
                    check(item, *schema.element, child_path(path, key));
                return;
            case Type::list_of:
                if (!value.is_sequence())
                    return expected(value, path, "a list");
                for (size_t i = 0; i < value.items().size(); ++i)
                    check(value.items()[i], *schema.element, item_path(path, i));
                return;
            case Type::record:
                if (!value.is_mapping())
                    return expected(value, path, "a map");
                for (size_t index = 0; index < value.entries().size(); ++index) {
                    const auto& [key, item] = value.entries()[index];
                    const Field* field = nullptr;
                    for (const auto& candidate : schema.fields) {
                        if (candidate.name == key)
                            field = &candidate;
                    }
                    if (!field) {
                        Mark mark = value.key_mark(index);
                        problems.push_back(Problem{mark.line ? mark : item.mark(),
                                                   child_path(path, key), "unknown key"});
                        continue;
                    }
                    check(item, *field->schema, child_path(path, key));
                }
                return;
            case Type::command_list:
                if (!value.is_sequence())
                    return expected(value, path, "a list of commands");
                for (size_t i = 0; i < value.items().size(); ++i) {
                    const Value& item = value.items()[i];
                    if (item.is_sequence())
                        check_scalar_items(item, item_path(path, i));
                    else if (!item.is_scalar() && !item.is_null())
                        expected(item, item_path(path, i), "a command string or list");
                }
                return;
            case Type::mount_list:
                if (!value.is_sequence())
                    return expected(value, path, "a list of mount entries");
                for (size_t i = 0; i < value.items().size(); ++i) {
                    const Value& item = value.items()[i];
                    if (!item.is_sequence()) {
                        expected(item, item_path(path, i),
                                 "a mount entry [device, directory, type, options]");
                        continue;
                    }
                    check_scalar_items(item, item_path(path, i));
                }
                return;
        }
    }

    void check_scalar_map(const Value& value, const std::string& path) {
        for (const auto& [key, item] : value.entries()) {
            if (!item.is_scalar() && !item.is_null())
                expected(item, child_path(path, key), "a string");
        }
    }
};

// The schema node at a dotted path, walking free-form map keys as one segment each.
const Schema* schema_at(std::string_view path) {
    const Schema* schema = &root_schema;
    if (path.empty())
        return schema;
    for (const auto& part : split_key(path)) {
        switch (schema->type) {
            case Type::record: {
                const Schema* next = nullptr;
                for (const auto& field : schema->fields) {
                    if (field.name == part)
                        next = field.schema;
                }
                if (!next)
                    return nullptr;
                schema = next;
                break;
            }
            case Type::map_of:
                schema = schema->element;
                break;
            default:
                return nullptr;
        }
    }
    return schema;
}

void collect_keys(const Schema& schema, const std::string& path,
                  std::vector<std::pair<std::string, std::string>>& out, int depth) {
    if (depth > 6)
        return;
    switch (schema.type) {
        case Type::record:
            for (const auto& field : schema.fields) {
                std::string child = child_path(path, field.name);
                if (field.schema == &service_schema || field.schema->type == Type::record ||
                    field.schema->type == Type::map_of) {
                    if (field.schema->element == &service_schema) {
                        out.emplace_back(child + ".*", "compose services");
                        continue;
                    }
                    collect_keys(*field.schema, child, out, depth + 1);
                } else {
                    out.emplace_back(child, type_name(field.schema->type));
                    if (field.schema->type == Type::scalar_map ||
                        field.schema->type == Type::bool_map)
                        out.back().first += ".*";
                }
            }
            return;
        case Type::map_of:
            if (schema.element->type == Type::record)
                collect_keys(*schema.element, path + ".*", out, depth + 1);
            return;
        default:
            return;
    }
}

}  // namespace

std::string Problem::to_string() const {
    return format_mark(mark) + (path.empty() ? std::string("document") : path) + ": " + message;
}

std::vector<Problem> validate_cloud_config(const Value& root) {
    std::vector<Problem> problems;
    Validator validator{problems};
    if (!root.is_null() && !root.is_mapping()) {
        validator.expected(root, "", "a map of cloud-config keys");
        return problems;
    }
    validator.check(root, root_schema, "");
    return problems;
}

std::vector<Problem> validate_service(const Value& service, const std::string& path) {
    std::vector<Problem> problems;
    Validator validator{problems};
    validator.check(service, service_schema, path);
    return problems;
}

bool free_form_key_here(std::string_view path) {
    const Schema* schema = schema_at(path);
    return schema && (schema->type == Type::scalar_map || schema->type == Type::bool_map ||
                      schema->type == Type::object);
}

bool is_secret_path(std::string_view path) {
    auto parts = split_key(path);
    if (parts.size() < 2 || parts[0] != "rancher")
        return false;
    const std::string& section = parts[1];
    if (section == "password" || section == "registry_auths")
        return true;
    if (section == "ssh" && parts.size() >= 3 && parts[2] == "keys")
        return true;
    if ((section == "docker" || section == "system_docker" || section == "bootstrap_docker") &&
        parts.size() >= 3) {
        const std::string& key = parts[2];
        return key == "ca_key" || key == "ca_cert" || key == "server_key" || key == "server_cert";
    }
    if (section == "network" && parts.size() >= 5 && parts[2] == "wifi_networks") {
        const std::string& key = parts[4];
        return key == "psk" || key == "password" || key == "private_key_passwds";
    }
    return false;
}

std::vector<std::pair<std::string, std::string>> schema_keys() {
    std::vector<std::pair<std::string, std::string>> keys;
    collect_keys(root_schema, "", keys, 0);
    return keys;
}

}  // namespace corral::config
