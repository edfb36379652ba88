#include "config/model.h"

namespace corral::config {

namespace {

const Value* child(const Value& map, std::string_view key) {
    return map.is_mapping() ? map.find(key) : nullptr;
}

void read(const Value& map, std::string_view key, std::string& out) {
    if (const Value* value = child(map, key); value && value->is_scalar())
        out = value->text();
}

void read(const Value& map, std::string_view key, bool& out) {
    if (const Value* value = child(map, key))
        if (auto parsed = value->as_bool())
            out = *parsed;
}

void read(const Value& map, std::string_view key, std::optional<bool>& out) {
    if (const Value* value = child(map, key))
        if (auto parsed = value->as_bool())
            out = *parsed;
}

void read(const Value& map, std::string_view key, int& out) {
    if (const Value* value = child(map, key))
        if (auto parsed = value->as_int(); parsed && *parsed >= INT32_MIN && *parsed <= INT32_MAX)
            out = static_cast<int>(*parsed);
}

void read(const Value& map, std::string_view key, std::vector<std::string>& out) {
    const Value* value = child(map, key);
    if (!value || !value->is_sequence())
        return;
    out.clear();
    for (const auto& item : value->items()) {
        if (item.is_scalar())
            out.push_back(item.text());
    }
}

void read(const Value& map, std::string_view key, std::map<std::string, std::string>& out) {
    const Value* value = child(map, key);
    if (!value || !value->is_mapping())
        return;
    for (const auto& [name, item] : value->entries()) {
        if (auto text = item.as_string())
            out[name] = *text;
    }
}

void read(const Value& map, std::string_view key, std::vector<std::pair<std::string, Value>>& out) {
    const Value* value = child(map, key);
    if (!value || !value->is_mapping())
        return;
    for (const auto& [name, item] : value->entries())
        out.emplace_back(name, item);
}

NetworkConfig read_network(const Value& map) {
    NetworkConfig network;
    read(map, "pre_cmds", network.pre_cmds);
    read(map, "post_cmds", network.post_cmds);
    read(map, "dhcp_timeout", network.dhcp_timeout);
    read(map, "http_proxy", network.http_proxy);
    read(map, "https_proxy", network.https_proxy);
    read(map, "no_proxy", network.no_proxy);
    if (const Value* dns = child(map, "dns")) {
        read(*dns, "nameservers", network.dns.nameservers);
        read(*dns, "search", network.dns.search);
        read(*dns, "domain", network.dns.domain);
    }
    if (const Value* interfaces = child(map, "interfaces");
        interfaces && interfaces->is_mapping()) {
        for (const auto& [name, item] : interfaces->entries()) {
            InterfaceConfig config;
            read(item, "match", config.match);
            read(item, "dhcp", config.dhcp);
            read(item, "dhcp_args", config.dhcp_args);
            read(item, "address", config.address);
            read(item, "addresses", config.addresses);
            read(item, "ipv4ll", config.ipv4ll);
            read(item, "gateway", config.gateway);
            read(item, "gateway_ipv6", config.gateway_ipv6);
            read(item, "mtu", config.mtu);
            read(item, "bridge", config.bridge);
            read(item, "bond", config.bond);
            read(item, "bond_opts", config.bond_opts);
            read(item, "pre_up", config.pre_up);
            read(item, "post_up", config.post_up);
            read(item, "vlans", config.vlans);
            read(item, "wifi_network", config.wifi_network);
            network.interfaces.emplace_back(name, std::move(config));
        }
    }
    return network;
}

DockerConfig read_docker(const Value& map) {
    DockerConfig docker;
    read(map, "engine", docker.engine);
    read(map, "args", docker.args);
    read(map, "extra_args", docker.extra_args);
    read(map, "tls", docker.tls);
    read(map, "tls_args", docker.tls_args);
    read(map, "server_cert", docker.server_cert);
    read(map, "server_key", docker.server_key);
    read(map, "ca_cert", docker.ca_cert);
    read(map, "ca_key", docker.ca_key);
    read(map, "environment", docker.environment);
    read(map, "storage_driver", docker.storage_driver);
    read(map, "storage_context", docker.storage_context);
    read(map, "bridge", docker.bridge);
    read(map, "bip", docker.bip);
    read(map, "graph", docker.graph);
    read(map, "group", docker.group);
    read(map, "exec_root", docker.exec_root);
    read(map, "pid_file", docker.pid_file);
    read(map, "config_file", docker.config_file);
    read(map, "log_driver", docker.log_driver);
    read(map, "registry_mirror", docker.registry_mirror);
    read(map, "host", docker.host);
    read(map, "insecure_registry", docker.insecure_registry);
    read(map, "log_opts", docker.log_opts);
    read(map, "debug", docker.debug);
    read(map, "live_restore", docker.live_restore);
    read(map, "restart", docker.restart);
    read(map, "selinux_enabled", docker.selinux_enabled);
    read(map, "userland_proxy", docker.userland_proxy);
    read(map, "exec", docker.exec);
    return docker;
}

std::vector<Command> read_commands(const Value& map, std::string_view key) {
    std::vector<Command> commands;
    const Value* value = child(map, key);
    if (!value || !value->is_sequence())
        return commands;
    for (const auto& item : value->items()) {
        Command command;
        if (item.is_scalar()) {
            command.shell = item.text();
        } else if (item.is_sequence()) {
            for (const auto& word : item.items()) {
                if (word.is_scalar())
                    command.argv.push_back(word.text());
            }
            // An empty argv (`- []`) runs nothing; keep it out.
            if (command.argv.empty())
                continue;
        } else {
            continue;
        }
        commands.push_back(std::move(command));
    }
    return commands;
}

}  // namespace

std::string CloudConfig::effective_hostname() const {
    return hostname.empty() ? rancher.defaults.hostname : hostname;
}

CloudConfig to_cloud_config(const Value& root) {
    CloudConfig config;
    read(root, "hostname", config.hostname);
    read(root, "ssh_authorized_keys", config.ssh_authorized_keys);
    config.runcmd = read_commands(root, "runcmd");
    config.bootcmd = read_commands(root, "bootcmd");
    if (const Value* files = child(root, "write_files"); files && files->is_sequence()) {
        for (const auto& item : files->items()) {
            WriteFile file;
            read(item, "path", file.path);
            read(item, "content", file.content);
            read(item, "encoding", file.encoding);
            read(item, "permissions", file.permissions);
            read(item, "owner", file.owner);
            read(item, "append", file.append);
            read(item, "container", file.container);
            config.write_files.push_back(std::move(file));
        }
    }
    if (const Value* mounts = child(root, "mounts"); mounts && mounts->is_sequence()) {
        for (const auto& item : mounts->items()) {
            if (!item.is_sequence() || item.items().size() < 2)
                continue;
            std::vector<std::string> fields;
            for (const auto& field : item.items())
                fields.push_back(field.as_string().value_or(""));
            fields.resize(4);
            config.mounts.push_back(Mount{fields[0], fields[1], fields[2], fields[3]});
        }
    }
    const Value* rancher_value = child(root, "rancher");
    if (!rancher_value || !rancher_value->is_mapping())
        return config;
    const Value& map = *rancher_value;
    RancherConfig& rancher = config.rancher;
    read(map, "console", rancher.console);
    read(map, "environment", rancher.environment);
    read(map, "services", rancher.services);
    read(map, "bootstrap", rancher.bootstrap);
    read(map, "cloud_init_services", rancher.cloud_init_services);
    if (const Value* include = child(map, "services_include"); include && include->is_mapping()) {
        for (const auto& [name, item] : include->entries())
            rancher.services_include[name] = item.as_bool().value_or(false);
    }
    if (const Value* network = child(map, "network"))
        rancher.network = read_network(*network);
    if (const Value* docker = child(map, "docker"))
        rancher.docker = read_docker(*docker);
    if (const Value* docker = child(map, "system_docker"))
        rancher.system_docker = read_docker(*docker);
    if (const Value* docker = child(map, "bootstrap_docker"))
        rancher.bootstrap_docker = read_docker(*docker);
    if (const Value* state = child(map, "state")) {
        StateConfig& out = rancher.state;
        read(*state, "dev", out.dev);
        read(*state, "fstype", out.fstype);
        read(*state, "directory", out.directory);
        read(*state, "wait", out.wait);
        if (const Value* wait = child(*state, "wait"); wait && !wait->as_bool()) {
            read(*state, "wait", out.wait_seconds);
            out.wait = out.wait_seconds > 0;
        }
        read(*state, "disabled", out.disabled);
        read(*state, "required", out.required);
        read(*state, "autoformat", out.autoformat);
        read(*state, "formatzero", out.formatzero);
        read(*state, "mdadm_scan", out.mdadm_scan);
        read(*state, "lvm_scan", out.lvm_scan);
        read(*state, "cryptsetup", out.cryptsetup);
        read(*state, "rngd", out.rngd);
        read(*state, "script", out.script);
        read(*state, "oem_dev", out.oem_dev);
        read(*state, "oem_fstype", out.oem_fstype);
        read(*state, "boot_dev", out.boot_dev);
        read(*state, "boot_fstype", out.boot_fstype);
    }
    if (const Value* ssh = child(map, "ssh")) {
        read(*ssh, "keys", rancher.ssh.keys);
        read(*ssh, "daemon", rancher.ssh.daemon);
        read(*ssh, "port", rancher.ssh.port);
        read(*ssh, "listen_address", rancher.ssh.listen_address);
    }
    read(map, "sysctl", rancher.sysctl);
    read(map, "modules", rancher.modules);
    if (const Value* auths = child(map, "registry_auths"); auths && auths->is_mapping()) {
        for (const auto& [registry, item] : auths->entries()) {
            RegistryAuth auth;
            read(item, "username", auth.username);
            read(item, "password", auth.password);
            read(item, "auth", auth.auth);
            read(item, "email", auth.email);
            read(item, "identitytoken", auth.identitytoken);
            read(item, "serveraddress", auth.serveraddress);
            rancher.registry_auths[registry] = std::move(auth);
        }
    }
    if (const Value* repositories = child(map, "repositories");
        repositories && repositories->is_mapping()) {
        for (const auto& [name, item] : repositories->entries()) {
            std::string url;
            read(item, "url", url);
            rancher.repositories[name] = url;
        }
    }
    if (const Value* upgrade = child(map, "upgrade")) {
        read(*upgrade, "url", rancher.upgrade.url);
        read(*upgrade, "image", rancher.upgrade.image);
        read(*upgrade, "rollback", rancher.upgrade.rollback);
        read(*upgrade, "policy", rancher.upgrade.policy);
    }
    if (const Value* defaults = child(map, "defaults")) {
        read(*defaults, "hostname", rancher.defaults.hostname);
        read(*defaults, "system_docker_logs", rancher.defaults.system_docker_logs);
        if (const Value* docker = child(*defaults, "docker"))
            rancher.defaults.docker = read_docker(*docker);
        if (const Value* network = child(*defaults, "network"))
            rancher.defaults.network = read_network(*network);
    }
    read(map, "shutdown_timeout", rancher.shutdown_timeout);
    read(map, "http_load_retries", rancher.http_load_retries);
    read(map, "hypervisor_service", rancher.hypervisor_service);
    if (const Value* cloud_init = child(map, "cloud_init"))
        read(*cloud_init, "datasources", rancher.datasources);
    read(map, "autologin", rancher.autologin);
    read(map, "password", rancher.password);
    read(map, "debug", rancher.debug);
    read(map, "log", rancher.log);
    read(map, "rm_usr", rancher.rm_usr);
    read(map, "no_sharedroot", rancher.no_sharedroot);
    read(map, "nostate", rancher.nostate);
    read(map, "recovery", rancher.recovery);
    read(map, "force_console_rebuild", rancher.force_console_rebuild);
    read(map, "preload_wait", rancher.preload_wait);
    read(map, "disable", rancher.disable);
    read(map, "restart_services", rancher.restart_services);
    read(map, "resize_device", rancher.resize_device);
    return config;
}

}  // namespace corral::config
