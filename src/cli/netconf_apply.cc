#include "cli/netconf_apply.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <set>

#include "base/fs.h"
#include "base/process.h"
#include "base/sys.h"

namespace corral::cli::ros::netconf {

namespace {

constexpr const char* kResolvConf = "/etc/resolv.conf";

std::string command_text(const std::vector<std::string>& argv) {
    std::string text;
    for (const auto& word : argv)
        text += (text.empty() ? "" : " ") + word;
    return text;
}

void run_shell_commands(const std::vector<std::string>& commands, const std::string& what) {
    for (const auto& command : commands) {
        if (!command.empty() && !run_logged({"sh", "-c", command}))
            warn(what + ": `" + command + "` failed");
    }
}

// The resolv.conf is bind-mounted into containers by inode: rewrite it in place.
ErrorOr<void> write_in_place(const std::string& path, const std::string& text) {
    auto fd = TRY(sys::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644));
    TRY(sys::write_all(fd.get(), text));
    return {};
}

std::string read_sys_net(const std::string& link, const std::string& file) {
    auto text = fs::read_file("/sys/class/net/" + link + "/" + file, 4096);
    std::string value = text ? *text : "";
    while (!value.empty() && (value.back() == '\n' || value.back() == ' '))
        value.pop_back();
    return value;
}

struct Link {
    std::string name;
    std::string mac;
};

std::vector<Link> list_links() {
    std::vector<Link> links;
    auto names = fs::list_dir("/sys/class/net");
    if (!names)
        return links;
    for (const auto& name : *names) {
        if (name == "lo" || name.starts_with("bonding_masters"))
            continue;
        // A bond's member takes the bond's address: match it by its own.
        std::string address = read_sys_net(name, "bonding_slave/perm_hwaddr");
        if (address.empty())
            address = read_sys_net(name, "address");
        links.push_back({name, address});
    }
    return links;
}

bool link_exists(const std::string& name) {
    auto present = sys::stat_if_exists("/sys/class/net/" + name);
    return present && present->has_value();
}

const config::Value* find_path(const config::Value& root,
                               std::initializer_list<std::string_view> keys) {
    const config::Value* value = &root;
    for (auto key : keys) {
        value = value->is_mapping() ? value->find(key) : nullptr;
        if (!value)
            return nullptr;
    }
    return value;
}

struct LinkMatch {
    std::string link;
    std::string key;
    const config::InterfaceConfig* interface;
};

bool has_device(const std::string& link) {
    auto present = sys::stat_if_exists("/sys/class/net/" + link + "/device");
    return present && present->has_value();
}

// The entry of each link of `links` (as listed by list_links). An entry named exactly as the
// link wins; otherwise the first entry whose pattern matches (names before globs is the user's
// order to choose). `mac=` selects network cards only: a bond, a bridge or a VLAN carries a
// card's address too.
std::vector<LinkMatch> match_links(const Settings& settings, const std::vector<Link>& links) {
    std::vector<LinkMatch> matches;
    const auto& entries = settings.network.interfaces;
    for (const auto& link : links) {
        const std::pair<std::string, config::InterfaceConfig>* chosen = nullptr;
        for (const auto& entry : entries) {
            const auto& [key, interface] = entry;
            if ((interface.match.empty() ? key : interface.match) == link.name) {
                chosen = &entry;
                break;
            }
        }
        for (size_t i = 0; !chosen && i < entries.size(); ++i) {
            const auto& [key, interface] = entries[i];
            std::string_view selector = interface.match.empty() ? key : interface.match;
            if (selector.starts_with("mac=") && !has_device(link.name))
                continue;
            if (net::interface_matches(key, interface.match, link.name, link.mac))
                chosen = &entries[i];
        }
        if (chosen)
            matches.push_back({link.name, chosen->first, &chosen->second});
    }
    return matches;
}

// A bond ready for its first member: made when missing (loading the bonding driver makes a
// `bond0` of its own), its options written to the driver's sysfs files (busybox `ip` takes
// none) while it has no member, `mode` first, as the driver wants.
void prepare_bond(const std::string& bond, const std::map<std::string, std::string>& options) {
    if (!link_exists(bond) && !run_logged({"ip", "link", "add", bond, "type", "bond"}))
        return;
    if (!read_sys_net(bond, "bonding/slaves").empty())
        return;
    std::vector<std::pair<std::string, std::string>> ordered;
    for (const auto& option : options) {
        if (option.first == "mode")
            ordered.insert(ordered.begin(), option);
        else
            ordered.push_back(option);
    }
    for (const auto& [option, value] : ordered) {
        if (option.empty() || option.find('/') != std::string::npos || option.starts_with(".")) {
            warn("bond " + bond + ": `" + option + "` is not a bonding option");
            continue;
        }
        std::string path = "/sys/class/net/" + bond + "/bonding/" + option;
        if (auto written = write_in_place(path, value + "\n"); !written)
            warn("bond " + bond + ": option " + option + "=" + value + ": " +
                 written.error().message());
    }
}

bool is_member_of(const std::string& link, const std::string& master) {
    char target[4096];
    std::string path = "/sys/class/net/" + link + "/master";
    ssize_t length = ::readlink(path.c_str(), target, sizeof target - 1);
    return length > 0 &&
           fs::basename(std::string_view(target, static_cast<size_t>(length))) == master;
}

bool names_a_bridge(const std::string& bridge) {
    return !bridge.empty() && bridge != "true" && bridge != "false";
}

// Bonds, bridges and VLANs named by the configuration, made before addresses are set; `links`
// are the links present when the pass begins. A link made here may itself be configured (a
// VLAN of a bond, put in a bridge): the next pass sees it.
void create_virtual_links_once(const Settings& settings, const std::vector<Link>& links) {
    for (const auto& [key, interface] : settings.network.interfaces) {
        bool is_pattern = key.find_first_of("*?[") != std::string::npos || key.starts_with("mac=");
        if (interface.bridge == "true" && !is_pattern && !link_exists(key))
            run_logged({"ip", "link", "add", key, "type", "bridge"});
    }
    for (const auto& [link, key, interface] : match_links(settings, links)) {
        if (!interface->bond.empty() && !is_member_of(link, interface->bond)) {
            // The options of a bond are on its own entry (RancherOS) or on a member's.
            auto options = interface->bond_opts;
            for (const auto& [other_key, other] : settings.network.interfaces) {
                if (other_key == interface->bond)
                    options.insert(other.bond_opts.begin(), other.bond_opts.end());
            }
            prepare_bond(interface->bond, options);
            run_logged({"ip", "link", "set", link, "down"});
            run_logged({"ip", "link", "set", link, "master", interface->bond});
        }
        if (names_a_bridge(interface->bridge) && !is_member_of(link, interface->bridge)) {
            if (!link_exists(interface->bridge))
                run_logged({"ip", "link", "add", interface->bridge, "type", "bridge"});
            run_logged({"ip", "link", "set", link, "master", interface->bridge});
        }
        if (!interface->vlans.empty()) {
            auto vlans = net::parse_vlans(interface->vlans, link);
            if (!vlans) {
                warn("rancher.network.interfaces." + key + ".vlans: " + vlans.error().message());
                continue;
            }
            for (const auto& vlan : *vlans) {
                if (!link_exists(vlan.name))
                    run_logged({"ip", "link", "add", "link", link, "name", vlan.name, "type",
                                "vlan", "id", std::to_string(vlan.id)});
            }
        }
    }
}

// Passes of create_virtual_links_once while they make new links; /sys/class/net is listed once
// per pass, after it. Returns the last listing: the links present now, members of bonds with
// their own addresses.
std::vector<Link> create_virtual_links(const Settings& settings) {
    std::vector<Link> links = list_links();
    for (int pass = 0; pass < 4; ++pass) {
        create_virtual_links_once(settings, links);
        std::vector<Link> after = list_links();
        bool made = after.size() != links.size();
        links = std::move(after);
        if (!made)
            break;
    }
    return links;
}

// A bond's or a bridge's member gets its address through its master.
bool wants_dhcp(const config::InterfaceConfig& interface) {
    return interface.dhcp && interface.bond.empty() && !names_a_bridge(interface.bridge);
}

// Addresses, MTU, gateways of every link of `links`; returns the links that want DHCP.
std::vector<std::string> configure_links(const Settings& settings, const std::vector<Link>& links) {
    std::vector<std::string> dhcp;
    for (const auto& [link, key, interface] : match_links(settings, links)) {
        std::string where = "rancher.network.interfaces." + key;
        run_shell_commands(interface->pre_up, where + ".pre_up");
        if (interface->mtu > 0)
            run_logged({"ip", "link", "set", link, "mtu", std::to_string(interface->mtu)});
        run_logged({"ip", "link", "set", link, "up"});
        std::vector<std::string> addresses = interface->addresses;
        if (!interface->address.empty())
            addresses.insert(addresses.begin(), interface->address);
        for (const auto& address : addresses)
            run_logged({"ip", "addr", "replace", address, "dev", link});
        if (!interface->gateway.empty())
            run_logged(
                {"ip", "route", "replace", "default", "via", interface->gateway, "dev", link});
        if (!interface->gateway_ipv6.empty())
            run_logged({"ip", "-6", "route", "replace", "default", "via", interface->gateway_ipv6,
                        "dev", link});
        if (wants_dhcp(*interface))
            dhcp.push_back(link);
        run_shell_commands(interface->post_up, where + ".post_up");
    }
    return dhcp;
}

}  // namespace

void warn(const std::string& message) {
    std::fprintf(stderr, "ros: netconf: warning: %s\n", message.c_str());
}

bool run_logged(const std::vector<std::string>& argv) {
    auto result = run(argv);
    if (!result) {
        warn("`" + command_text(argv) + "`: " + result.error().message());
        return false;
    }
    if (result->exit_code != 0) {
        std::string detail = result->err.empty() ? result->out : result->err;
        while (!detail.empty() && detail.back() == '\n')
            detail.pop_back();
        warn("`" + command_text(argv) + "` exited " + std::to_string(result->exit_code) +
             (detail.empty() ? "" : ": " + detail));
        return false;
    }
    return true;
}

Settings load_settings(const Context& context) {
    config::LoadedConfig loaded = config::load_config(context.paths());
    config::CloudConfig typed = loaded.typed();
    Settings settings;
    const config::Value* source = find_path(loaded.merged, {"rancher", "network"});
    const config::Value* source_defaults =
        find_path(loaded.merged, {"rancher", "defaults", "network"});
    settings.source =
        config::Value::sequence({source ? *source : config::Value::null(),
                                 source_defaults ? *source_defaults : config::Value::null()});
    settings.network = typed.rancher.network;
    const config::NetworkConfig& defaults = typed.rancher.defaults.network;
    if (settings.network.interfaces.empty())
        settings.network.interfaces = defaults.interfaces;
    settings.dhcp_timeout = settings.network.dhcp_timeout > 0 ? settings.network.dhcp_timeout
                            : defaults.dhcp_timeout > 0       ? defaults.dhcp_timeout
                                                              : 10;
    settings.default_nameservers = defaults.dns.nameservers;
    return settings;
}

std::vector<std::string> dhcp_links(const Settings& settings) {
    std::vector<std::string> links;
    for (const auto& match : match_links(settings, list_links())) {
        if (wants_dhcp(*match.interface))
            links.push_back(match.link);
    }
    return links;
}

void write_resolv_conf(const config::DnsConfig& configured,
                       const std::vector<std::string>& fallback_nameservers,
                       const net::Lease* lease) {
    net::ResolvConf conf;
    conf.nameservers = configured.nameservers;
    if (conf.nameservers.empty() && lease)
        conf.nameservers = lease->dns;
    if (conf.nameservers.empty())
        conf.nameservers = fallback_nameservers;
    conf.search = configured.search;
    if (conf.search.empty() && lease) {
        conf.search = lease->search;
        if (conf.search.empty() && !lease->domain.empty())
            conf.search.push_back(lease->domain);
    }
    conf.domain = configured.domain;
    if (auto written = write_in_place(kResolvConf, net::render_resolv_conf(conf)); !written)
        warn(written.error().message());
}

std::vector<std::string> apply_settings(const Settings& settings) {
    run_shell_commands(settings.network.pre_cmds, "rancher.network.pre_cmds");
    run_logged({"ip", "link", "set", "lo", "up"});
    std::vector<std::string> dhcp = configure_links(settings, create_virtual_links(settings));
    if (dhcp.empty() || !settings.network.dns.nameservers.empty())
        write_resolv_conf(settings.network.dns, settings.default_nameservers, nullptr);
    run_shell_commands(settings.network.post_cmds, "rancher.network.post_cmds");
    return dhcp;
}

}  // namespace corral::cli::ros::netconf
