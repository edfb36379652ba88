// The network settings of `ros netconf` and how they are applied: links made (bonds, bridges,
// VLANs), addressed and brought up, /etc/resolv.conf written. The service's loop, its DHCP
// clients and the lease events are in ros_netconf.cc.
#pragma once

#include <string>
#include <vector>

#include "cli/ros.h"
#include "config/model.h"
#include "config/value.h"
#include "net/netconf.h"

namespace corral::cli::ros::netconf {

// What `ros netconf` applies, from the merged configuration.
struct Settings {
    config::NetworkConfig network;
    int dhcp_timeout = 10;
    std::vector<std::string> default_nameservers;
    // `rancher.network` and `rancher.defaults.network` as merged: a change of either is a
    // change of the settings.
    config::Value source;
};

Settings load_settings(const Context& context);

// Everything but DHCP: pre_cmds, links, addresses, routes, resolv.conf (unless DHCP will write
// it), post_cmds. Returns the links that want DHCP.
std::vector<std::string> apply_settings(const Settings& settings);

// The links that want DHCP under `settings`, among those present now.
std::vector<std::string> dhcp_links(const Settings& settings);

// /etc/resolv.conf from the configured DNS, else the lease's, else the defaults.
void write_resolv_conf(const config::DnsConfig& configured,
                       const std::vector<std::string>& fallback_nameservers,
                       const net::Lease* lease);

// A warning on stderr (the service's log), prefixed `ros: netconf: warning:`.
void warn(const std::string& message);

// Runs a command; a failure is a warning naming it (one bad item never stops the rest).
bool run_logged(const std::vector<std::string>& argv);

}  // namespace corral::cli::ros::netconf
