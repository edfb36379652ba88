// The typed cloud-config: what the rest of CorralOS reads (init, network, cloud-init, the user
// engine). Built from a validated Value; a key of the wrong type is left at its default (the
// validator has already reported it). Service definitions stay as Values here: they are
// compose maps that src/compose turns into container specs.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/value.h"

namespace corral::config {

struct WriteFile {
    std::string path;
    std::string content;      // as written, before decoding
    std::string encoding;     // "", "b64", "base64", "gzip", "gz", "gz+b64", "gzip+base64"...
    std::string permissions;  // octal text, "0644" when empty
    std::string owner;        // "user", "user:group"
    bool append = false;
    std::string container;  // write inside this system service's container instead
};

// A runcmd/bootcmd entry: a shell line or an argv list.
struct Command {
    std::string shell;              // run with sh -c when argv is empty
    std::vector<std::string> argv;  // exec directly
};

struct Mount {
    std::string device;
    std::string directory;
    std::string type;     // "" or "auto": detect
    std::string options;  // "" → "defaults"
};

struct InterfaceConfig {
    std::string match;
    bool dhcp = false;
    std::string dhcp_args;
    std::string address;
    std::vector<std::string> addresses;
    bool ipv4ll = false;
    std::string gateway;
    std::string gateway_ipv6;
    int mtu = 0;
    // `bridge: true` makes this interface a bridge; `bridge: br0` enslaves it to br0.
    std::string bridge;
    std::string bond;  // enslave to this bond
    std::map<std::string, std::string> bond_opts;
    std::vector<std::string> pre_up;
    std::vector<std::string> post_up;
    std::string vlans;  // "100,200:name"
    std::string wifi_network;
};

struct DnsConfig {
    std::vector<std::string> nameservers;
    std::vector<std::string> search;
    std::string domain;
};

struct NetworkConfig {
    std::vector<std::string> pre_cmds;
    std::vector<std::string> post_cmds;
    int dhcp_timeout = 0;
    DnsConfig dns;
    // Keyed by name, glob (`eth*`) or `mac=52:54:...`; in document order.
    std::vector<std::pair<std::string, InterfaceConfig>> interfaces;
    std::string http_proxy;
    std::string https_proxy;
    std::string no_proxy;
};

struct DockerConfig {
    std::string engine;  // the engine service name ("docker-19.03.11", "podman")
    std::vector<std::string> args;
    std::vector<std::string> extra_args;
    bool tls = false;
    std::vector<std::string> tls_args;
    std::string server_cert, server_key, ca_cert, ca_key;
    std::vector<std::string> environment;
    std::string storage_driver;
    std::string storage_context;
    std::string bridge, bip, graph, group, exec_root, pid_file, config_file, log_driver;
    std::string registry_mirror;
    std::vector<std::string> host;
    std::vector<std::string> insecure_registry;
    std::map<std::string, std::string> log_opts;
    std::optional<bool> debug, live_restore, restart, selinux_enabled, userland_proxy;
    bool exec = false;
};

struct StateConfig {
    std::string dev;     // "LABEL=RANCHER_STATE"
    std::string fstype;  // "auto"
    std::string directory;
    bool wait = false;     // wait for the device to appear
    int wait_seconds = 0;  // `wait: 30`: how long (CorralOS); `wait: true` leaves 0 (default)
    bool required = false;
    bool disabled = false;                // boot in RAM on purpose (also `rancher.nostate`)
    std::vector<std::string> autoformat;  // devices that may be formatted when zeroed
    bool formatzero = false;
    bool mdadm_scan = false, lvm_scan = false, cryptsetup = false, rngd = false;
    std::string script;
    std::string oem_dev, oem_fstype, boot_dev, boot_fstype;
};

struct SshConfig {
    std::map<std::string, std::string> keys;  // host keys: "rsa" → PEM, "rsa-pub" → line
    bool daemon = true;
    int port = 0;  // 0: 22
    std::string listen_address;
};

struct UpgradeConfig {
    std::string url, image, rollback, policy;
};

struct RegistryAuth {
    std::string username, password, auth, email, identitytoken, serveraddress;
};

struct DefaultsConfig {
    std::string hostname;
    DockerConfig docker;
    NetworkConfig network;
    std::string system_docker_logs;
};

struct RancherConfig {
    std::string console;
    std::map<std::string, std::string> environment;
    // Compose service definitions by name, in document order.
    std::vector<std::pair<std::string, Value>> services;
    std::vector<std::pair<std::string, Value>> bootstrap;
    std::vector<std::pair<std::string, Value>> cloud_init_services;
    std::map<std::string, bool> services_include;
    NetworkConfig network;
    DockerConfig docker;
    DockerConfig system_docker;
    DockerConfig bootstrap_docker;
    StateConfig state;
    SshConfig ssh;
    std::map<std::string, std::string> sysctl;
    std::vector<std::string> modules;
    std::map<std::string, RegistryAuth> registry_auths;
    std::map<std::string, std::string> repositories;  // name → url
    UpgradeConfig upgrade;
    DefaultsConfig defaults;
    int shutdown_timeout = 60;
    int http_load_retries = 6;
    bool hypervisor_service = false;
    std::vector<std::string> datasources;  // rancher.cloud_init.datasources
    std::string autologin;                 // "tty1", "ttyS0"
    std::string password;
    bool debug = false;
    bool log = false;
    bool rm_usr = false;
    bool no_sharedroot = false;
    bool nostate = false;
    bool recovery = false;
    bool force_console_rebuild = false;
    bool preload_wait = false;
    std::vector<std::string> disable;
    std::vector<std::string> restart_services;
    std::string resize_device;
};

struct CloudConfig {
    std::string hostname;
    std::vector<std::string> ssh_authorized_keys;
    std::vector<WriteFile> write_files;
    std::vector<Command> runcmd;
    std::vector<Command> bootcmd;
    std::vector<Mount> mounts;
    RancherConfig rancher;

    // `hostname`, else `rancher.defaults.hostname`.
    std::string effective_hostname() const;
};

CloudConfig to_cloud_config(const Value& root);

}  // namespace corral::config
