// The pure parts of network configuration (`ros netconf`): which configured interface entry
// applies to which link, what a DHCP lease from udhcpc says, the resolv.conf to write, and
// the VLANs an interface asks for. The commands that change the kernel's state live in
// src/cli/ros_netconf.cc.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace corral::net {

// Whether the `rancher.network.interfaces` key (a name, a glob such as `eth*`, or
// `mac=52:54:00:12:34:56`; `match` overrides the key when set) selects the link `name` whose
// hardware address is `mac`. MAC addresses compare case-insensitively.
bool interface_matches(std::string_view key, std::string_view match, std::string_view name,
                       std::string_view mac);

// "255.255.255.0" → 24; an error for a mask that is not contiguous ones.
ErrorOr<int> prefix_from_netmask(std::string_view netmask);

// What udhcpc hands its script, in its environment.
struct Lease {
    std::string interface;
    std::string address;  // "10.0.2.15"
    int prefix = 0;       // from `subnet`
    std::string broadcast;
    std::vector<std::string> routers;
    std::vector<std::string> dns;
    std::string domain;
    std::vector<std::string> search;
    int mtu = 0;
};

// Reads a lease from udhcpc's variables (interface, ip, subnet, broadcast, router, dns,
// domain, search, mtu). Missing `interface` or `ip`, or a bad `subnet`, are errors.
ErrorOr<Lease> lease_from_environment(const std::map<std::string, std::string>& environment);

struct ResolvConf {
    std::vector<std::string> nameservers;
    std::vector<std::string> search;
    std::string domain;
    std::vector<std::string> options;
};

// The text of /etc/resolv.conf. Nameservers are deduplicated and kept to the first three
// (the resolver reads no more); search domains are deduplicated.
std::string render_resolv_conf(const ResolvConf& conf);

struct Vlan {
    int id = 0;
    std::string name;  // "eth0.100" unless the entry names it
};

// `vlans: "100,200:vlan200"` of interface `link` → {100, link.100}, {200, vlan200}.
ErrorOr<std::vector<Vlan>> parse_vlans(std::string_view text, std::string_view link);

// Splits "a b  c" on spaces and tabs (udhcpc's lists).
std::vector<std::string> split_words(std::string_view text);

}  // namespace corral::net
