// The key tables of the cloud-config schema (see schema_tables.h).
#include "config/schema_tables.h"

namespace corral::config::schema_tables {

namespace {

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
}  // namespace

const Schema service_schema{Type::record, service_fields};

namespace {

const Schema services_schema{Type::map_of, {}, &service_schema};

// The encodings cloud-init defined for write_files content.
const std::string_view encodings[] = {"b64",    "base64",    "gzip",     "gz",
                                      "gz+b64", "gz+base64", "gzip+b64", "gzip+base64"};
const Schema encoding_schema{Type::choice, {}, nullptr, encodings};

const Field file_fields[] = {
    {"append", &boolean_schema},     {"container", &string_schema}, {"content", &string_schema},
    {"encoding", &encoding_schema},  {"owner", &string_schema},     {"path", &string_schema},
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
}  // namespace

const Schema root_schema{Type::record, root_fields};

}  // namespace corral::config::schema_tables
