// `ros netconf`: what the network system service runs. Applies `rancher.network` (or
// `rancher.defaults.network` when the user configured no interface): bonds, bridges and VLANs,
// static addresses and gateways, MTUs, DNS; then runs busybox udhcpc for every DHCP interface
// and stays with them, restarting one that dies. udhcpc calls back `ros netconf dhcp-event`,
// which applies a lease. Links and addresses are changed with busybox `ip`.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>

#include "base/fs.h"
#include "base/process.h"
#include "base/sys.h"
#include "cli/ros.h"
#include "net/netconf.h"

extern char** environ;

namespace corral::cli::ros {

namespace {

constexpr const char* kResolvConf = "/etc/resolv.conf";
constexpr const char* kDhcpScript = "/run/corral/udhcpc-script";

void warn(const std::string& message) {
    std::fprintf(stderr, "ros: netconf: warning: %s\n", message.c_str());
}

std::string command_text(const std::vector<std::string>& argv) {
    std::string text;
    for (const auto& word : argv)
        text += (text.empty() ? "" : " ") + word;
    return text;
}

// Runs a command; a failure is a warning naming it (one bad item never stops the rest).
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
        auto mac = fs::read_file("/sys/class/net/" + name + "/address", 256);
        std::string address = mac ? *mac : "";
        while (!address.empty() && (address.back() == '\n' || address.back() == ' '))
            address.pop_back();
        links.push_back({name, address});
    }
    return links;
}

bool link_exists(const std::string& name) {
    auto present = sys::stat_if_exists("/sys/class/net/" + name);
    return present && present->has_value();
}

struct Settings {
    config::NetworkConfig network;
    int dhcp_timeout = 10;
    std::vector<std::string> default_nameservers;
};

Settings load_settings(const Context& context) {
    config::LoadedConfig loaded = config::load_config(context.paths());
    config::CloudConfig typed = loaded.typed();
    Settings settings;
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

// Bonds, bridges and VLANs named by the configuration, created before addresses are set.
void create_virtual_links(const Settings& settings) {
    auto links = list_links();
    for (const auto& [key, interface] : settings.network.interfaces) {
        bool is_glob = key.find_first_of("*?[") != std::string::npos || key.starts_with("mac=");
        if (interface.bridge == "true" && !is_glob && !link_exists(key))
            run_logged({"ip", "link", "add", key, "type", "bridge"});
        for (const auto& link : links) {
            if (!net::interface_matches(key, interface.match, link.name, link.mac))
                continue;
            if (!interface.bond.empty()) {
                if (!link_exists(interface.bond)) {
                    std::vector<std::string> add{"ip",           "link", "add",
                                                 interface.bond, "type", "bond"};
                    for (const auto& [option, value] : interface.bond_opts) {
                        add.push_back(option);
                        add.push_back(value);
                    }
                    run_logged(add);
                }
                run_logged({"ip", "link", "set", link.name, "down"});
                run_logged({"ip", "link", "set", link.name, "master", interface.bond});
            }
            if (!interface.bridge.empty() && interface.bridge != "true" &&
                interface.bridge != "false") {
                if (!link_exists(interface.bridge))
                    run_logged({"ip", "link", "add", interface.bridge, "type", "bridge"});
                run_logged({"ip", "link", "set", link.name, "master", interface.bridge});
            }
            if (!interface.vlans.empty()) {
                auto vlans = net::parse_vlans(interface.vlans, link.name);
                if (!vlans) {
                    warn("rancher.network.interfaces." + key +
                         ".vlans: " + vlans.error().message());
                    continue;
                }
                for (const auto& vlan : *vlans) {
                    if (!link_exists(vlan.name))
                        run_logged({"ip", "link", "add", "link", link.name, "name", vlan.name,
                                    "type", "vlan", "id", std::to_string(vlan.id)});
                }
            }
        }
    }
}

// Addresses, MTU, gateways of every link; returns the links that want DHCP.
std::vector<std::string> configure_links(const Settings& settings) {
    std::vector<std::string> dhcp;
    std::set<std::string> configured;
    for (const auto& link : list_links()) {
        for (const auto& [key, interface] : settings.network.interfaces) {
            if (!net::interface_matches(key, interface.match, link.name, link.mac))
                continue;
            // The first entry that matches a link wins (names before globs is the user's
            // order to choose).
            if (!configured.insert(link.name).second)
                break;
            run_shell_commands(interface.pre_up, "rancher.network.interfaces." + key + ".pre_up");
            if (interface.mtu > 0)
                run_logged({"ip", "link", "set", link.name, "mtu", std::to_string(interface.mtu)});
            run_logged({"ip", "link", "set", link.name, "up"});
            std::vector<std::string> addresses = interface.addresses;
            if (!interface.address.empty())
                addresses.insert(addresses.begin(), interface.address);
            for (const auto& address : addresses)
                run_logged({"ip", "addr", "replace", address, "dev", link.name});
            if (!interface.gateway.empty())
                run_logged({"ip", "route", "replace", "default", "via", interface.gateway, "dev",
                            link.name});
            if (!interface.gateway_ipv6.empty())
                run_logged({"ip", "-6", "route", "replace", "default", "via",
                            interface.gateway_ipv6, "dev", link.name});
            if (interface.dhcp && interface.bond.empty() &&
                (interface.bridge.empty() || interface.bridge == "true" ||
                 interface.bridge == "false"))
                dhcp.push_back(link.name);
            run_shell_commands(interface.post_up, "rancher.network.interfaces." + key + ".post_up");
            break;
        }
    }
    return dhcp;
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

volatile sig_atomic_t stop_requested = 0;

void on_stop(int) {
    stop_requested = 1;
}

ErrorOr<pid_t> start_udhcpc(const std::string& link, int timeout) {
    char hostname[256] = {};
    ::gethostname(hostname, sizeof hostname - 1);
    SpawnOptions options;
    // -f: stay in the foreground (we are its supervisor); -t/-T: discover tries and their
    // spacing within dhcp_timeout; -A: pause before trying again; -R: release on exit.
    int tries = timeout > 3 ? timeout / 2 : 2;
    options.argv = {
        "udhcpc", "-f", "-R", "-i", link, "-s", kDhcpScript, "-t", std::to_string(tries),
        "-T",     "2",  "-A", "5"};
    if (hostname[0]) {
        options.argv.push_back("-x");
        options.argv.push_back(std::string("hostname:") + hostname);
    }
    options.fds = {{1, STDERR_FILENO}, {2, STDERR_FILENO}};
    auto child = TRY(spawn(options));
    return child.pid();
}

int run_netconf(const Context& context) {
    Settings settings = load_settings(context);
    run_shell_commands(settings.network.pre_cmds, "rancher.network.pre_cmds");
    run_logged({"ip", "link", "set", "lo", "up"});
    create_virtual_links(settings);
    std::vector<std::string> dhcp = configure_links(settings);
    if (dhcp.empty() || !settings.network.dns.nameservers.empty())
        write_resolv_conf(settings.network.dns, settings.default_nameservers, nullptr);
    run_shell_commands(settings.network.post_cmds, "rancher.network.post_cmds");
    if (dhcp.empty()) {
        std::fprintf(stderr, "ros: netconf: configured, no DHCP interface\n");
        return 0;
    }

    if (auto made = fs::mkdir_p(fs::dirname(kDhcpScript)); !made)
        return fail("netconf: " + made.error().message());
    if (auto written = fs::write_file_atomic(
            kDhcpScript,
            "#!/bin/sh\n# udhcpc's events, applied by ros (see ros netconf).\n"
            "exec ros netconf dhcp-event \"$1\"\n",
            0755);
        !written)
        return fail("netconf: " + written.error().message());

    struct sigaction action {};
    action.sa_handler = on_stop;
    ::sigaction(SIGTERM, &action, nullptr);
    ::sigaction(SIGINT, &action, nullptr);

    std::map<pid_t, std::string> running;
    for (const auto& link : dhcp) {
        auto pid = start_udhcpc(link, settings.dhcp_timeout);
        if (!pid)
            warn("udhcpc on " + link + ": " + pid.error().message());
        else
            running[*pid] = link;
    }
    std::fprintf(stderr, "ros: netconf: DHCP on %zu interface(s)\n", running.size());
    // Stay with the DHCP clients: one that ends is started again after a pause.
    while (!stop_requested && !running.empty()) {
        int status = 0;
        pid_t pid = ::waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        auto found = running.find(pid);
        if (found == running.end())
            continue;
        std::string link = found->second;
        running.erase(found);
        warn("udhcpc on " + link + " ended (status " + std::to_string(status) +
             "); starting it again in 5 s");
        for (int waited = 0; waited < 5 && !stop_requested; ++waited)
            ::sleep(1);
        if (stop_requested)
            break;
        auto again = start_udhcpc(link, settings.dhcp_timeout);
        if (again)
            running[*again] = link;
        else
            warn("udhcpc on " + link + ": " + again.error().message());
    }
    for (const auto& [pid, link] : running)
        ::kill(pid, SIGTERM);
    for (size_t left = running.size(); left > 0; --left)
        ::waitpid(-1, nullptr, 0);
    return 0;
}

std::map<std::string, std::string> environment_map() {
    std::map<std::string, std::string> variables;
    for (char** entry = environ; entry && *entry; ++entry) {
        std::string_view text(*entry);
        size_t equals = text.find('=');
        if (equals != std::string_view::npos)
            variables.emplace(text.substr(0, equals), text.substr(equals + 1));
    }
    return variables;
}

int run_dhcp_event(const Context& context, const std::string& event) {
    auto variables = environment_map();
    std::string link = variables.count("interface") ? variables["interface"] : "";
    if (event == "deconfig") {
        if (link.empty())
            return fail("netconf dhcp-event deconfig: no `interface` in the environment");
        run_logged({"ip", "addr", "flush", "dev", link});
        run_logged({"ip", "link", "set", link, "up"});
        return 0;
    }
    if (event != "bound" && event != "renew")
        return 0;  // leasefail, nak: udhcpc tries again by itself
    auto lease = net::lease_from_environment(variables);
    if (!lease)
        return fail("netconf dhcp-event " + event + ": " + lease.error().message());
    Settings settings = load_settings(context);
    if (event == "bound")
        run_logged({"ip", "addr", "flush", "dev", lease->interface});
    std::vector<std::string> add{"ip", "addr", "replace",
                                 lease->address + "/" + std::to_string(lease->prefix)};
    if (!lease->broadcast.empty()) {
        add.push_back("broadcast");
        add.push_back(lease->broadcast);
    }
    add.push_back("dev");
    add.push_back(lease->interface);
    run_logged(add);
    if (lease->mtu > 0)
        run_logged({"ip", "link", "set", lease->interface, "mtu", std::to_string(lease->mtu)});
    if (!lease->routers.empty())
        run_logged({"ip", "route", "replace", "default", "via", lease->routers.front(), "dev",
                    lease->interface});
    write_resolv_conf(settings.network.dns, settings.default_nameservers, &*lease);
    std::fprintf(stderr, "ros: netconf: %s %s/%d on %s\n", event.c_str(), lease->address.c_str(),
                 lease->prefix, lease->interface.c_str());
    return 0;
}

}  // namespace

void add_netconf_command(CLI::App& app, Context& context) {
    CLI::App* command = app.add_subcommand(
        "netconf", "Configure the network from rancher.network and run DHCP (the network service)");
    command->callback([&context, command] {
        if (command->get_subcommands().empty())
            context.action = [&context] { return run_netconf(context); };
    });
    CLI::App* event = command->add_subcommand(
        "dhcp-event", "Apply a udhcpc event (deconfig, bound, renew) from its environment");
    event->add_option("event", context.name, "The udhcpc event")->required();
    event->callback([&context] {
        context.action = [&context] { return run_dhcp_event(context, context.name); };
    });
}

}  // namespace corral::cli::ros
