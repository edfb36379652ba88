// `ros netconf`: what the network system service runs. Applies `rancher.network` (or
// `rancher.defaults.network` when the user configured no interface): bonds (options through
// the bonding driver's sysfs files), bridges and VLANs, static addresses and gateways, MTUs,
// DNS; runs busybox udhcpc for every DHCP interface, restarting one that dies. It then stays,
// watching the configuration files: when the network settings change (cloud-init saved the
// user data of this boot, `ros config set rancher.network...`), it applies them again and
// starts or stops DHCP clients to match (the service's `io.rancher.os.reloadconfig`).
// udhcpc calls back `ros netconf dhcp-event`, which applies a lease. Links and addresses are
// changed with `ip` (busybox's in the system images).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
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

struct Settings {
    config::NetworkConfig network;
    int dhcp_timeout = 10;
    std::vector<std::string> default_nameservers;
    // `rancher.network` and `rancher.defaults.network` as merged: a change of either is a
    // change of the settings.
    config::Value source;
};

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

struct LinkMatch {
    std::string link;
    std::string key;
    const config::InterfaceConfig* interface;
};

bool has_device(const std::string& link) {
    auto present = sys::stat_if_exists("/sys/class/net/" + link + "/device");
    return present && present->has_value();
}

// The entry of each present link. An entry named exactly as the link wins; otherwise the first
// entry whose pattern matches (names before globs is the user's order to choose). `mac=`
// selects network cards only: a bond, a bridge or a VLAN carries a card's address too.
std::vector<LinkMatch> match_links(const Settings& settings) {
    std::vector<LinkMatch> matches;
    const auto& entries = settings.network.interfaces;
    for (const auto& link : list_links()) {
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

// Bonds, bridges and VLANs named by the configuration, made before addresses are set. A link
// made here may itself be configured (a VLAN of a bond, put in a bridge), so the pass is
// repeated while it makes new links.
void create_virtual_links_once(const Settings& settings) {
    for (const auto& [key, interface] : settings.network.interfaces) {
        bool is_pattern = key.find_first_of("*?[") != std::string::npos || key.starts_with("mac=");
        if (interface.bridge == "true" && !is_pattern && !link_exists(key))
            run_logged({"ip", "link", "add", key, "type", "bridge"});
    }
    for (const auto& [link, key, interface] : match_links(settings)) {
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

void create_virtual_links(const Settings& settings) {
    for (int pass = 0; pass < 4; ++pass) {
        size_t before = list_links().size();
        create_virtual_links_once(settings);
        if (list_links().size() == before)
            break;
    }
}

// A bond's or a bridge's member gets its address through its master.
bool wants_dhcp(const config::InterfaceConfig& interface) {
    return interface.dhcp && interface.bond.empty() && !names_a_bridge(interface.bridge);
}

std::vector<std::string> dhcp_links(const Settings& settings) {
    std::vector<std::string> links;
    for (const auto& match : match_links(settings)) {
        if (wants_dhcp(*match.interface))
            links.push_back(match.link);
    }
    return links;
}

// Addresses, MTU, gateways of every link; returns the links that want DHCP.
std::vector<std::string> configure_links(const Settings& settings) {
    std::vector<std::string> dhcp;
    for (const auto& [link, key, interface] : match_links(settings)) {
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

// udhcpc's event script: `ros netconf dhcp-event`.
ErrorOr<void> write_dhcp_script() {
    TRY(fs::mkdir_p(fs::dirname(kDhcpScript)));
    return fs::write_file_atomic(kDhcpScript,
                                 "#!/bin/sh\n# udhcpc's events, applied by ros (see ros netconf).\n"
                                 "exec ros netconf dhcp-event \"$1\"\n",
                                 0755);
}

ErrorOr<Child> start_udhcpc(const std::string& link, int timeout) {
    static bool script_written = false;
    if (!script_written) {
        TRY(write_dhcp_script());
        script_written = true;
    }
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
    return spawn(options);
}

// Everything but DHCP; returns the links that want DHCP.
std::vector<std::string> apply_settings(const Settings& settings) {
    run_shell_commands(settings.network.pre_cmds, "rancher.network.pre_cmds");
    run_logged({"ip", "link", "set", "lo", "up"});
    create_virtual_links(settings);
    std::vector<std::string> dhcp = configure_links(settings);
    if (dhcp.empty() || !settings.network.dns.nameservers.empty())
        write_resolv_conf(settings.network.dns, settings.default_nameservers, nullptr);
    run_shell_commands(settings.network.post_cmds, "rancher.network.post_cmds");
    return dhcp;
}

using Clock = std::chrono::steady_clock;

// The DHCP clients, one per link: running, or waiting to be started again.
class DhcpClients {
  public:
    explicit DhcpClients(int timeout) : timeout_(timeout) {}

    void set_timeout(int timeout) { timeout_ = timeout; }

    // Starts clients for new links, stops those of links that no longer want DHCP.
    void match(const std::vector<std::string>& links) {
        stop_others(links);
        for (const auto& link : links) {
            if (!clients_.count(link))
                start(link, clients_[link]);
        }
    }

    // Stops the clients of links not named (udhcpc releases its lease and flushes the link's
    // addresses as it ends: this goes before new static addresses are set).
    void stop_others(const std::vector<std::string>& links) {
        std::set<std::string> wanted(links.begin(), links.end());
        for (auto it = clients_.begin(); it != clients_.end();) {
            if (wanted.count(it->first)) {
                ++it;
                continue;
            }
            stop(it->second);
            std::fprintf(stderr, "ros: netconf: DHCP on %s stopped\n", it->first.c_str());
            it = clients_.erase(it);
        }
    }

    // Descriptors to poll (a pidfd per running client) and the link of each.
    std::vector<std::pair<int, std::string>> pidfds() const {
        std::vector<std::pair<int, std::string>> fds;
        for (const auto& [link, client] : clients_) {
            if (client.child && client.child->pidfd() >= 0)
                fds.emplace_back(client.child->pidfd(), link);
        }
        return fds;
    }

    // A client that ended is started again after a pause.
    void reap(const std::string& link) {
        auto found = clients_.find(link);
        if (found == clients_.end() || !found->second.child)
            return;
        auto status = sys::waitpid(found->second.child->pid(), WNOHANG);
        if (!status || !status->has_value())
            return;
        warn("udhcpc on " + link + " ended (status " + std::to_string((*status)->status) +
             "); starting it again in 5 s");
        found->second.child.reset();
        found->second.restart_at = Clock::now() + std::chrono::seconds(5);
    }

    void restart_due() {
        for (auto& [link, client] : clients_) {
            if (!client.child && Clock::now() >= client.restart_at)
                start(link, client);
        }
    }

    // Milliseconds until the next restart is due; -1 when none is waiting.
    int next_due_ms() const {
        int next = -1;
        for (const auto& [link, client] : clients_) {
            if (client.child)
                continue;
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(client.restart_at -
                                                                              Clock::now());
            int ms = static_cast<int>(std::max<int64_t>(left.count(), 0));
            next = next < 0 ? ms : std::min(next, ms);
        }
        return next;
    }

    size_t size() const { return clients_.size(); }

    void stop_all() {
        for (auto& [link, client] : clients_)
            stop(client);
        clients_.clear();
    }

  private:
    struct Client {
        std::optional<Child> child;
        Clock::time_point restart_at;
    };

    void start(const std::string& link, Client& client) {
        auto child = start_udhcpc(link, timeout_);
        if (child) {
            client.child.emplace(std::move(*child));
            return;
        }
        warn("udhcpc on " + link + ": " + child.error().message() + "; trying again in 5 s");
        client.child.reset();
        client.restart_at = Clock::now() + std::chrono::seconds(5);
    }

    static void stop(Client& client) {
        if (!client.child)
            return;
        ::kill(client.child->pid(), SIGTERM);
        (void)client.child->wait();
        client.child.reset();
    }

    int timeout_;
    std::map<std::string, Client> clients_;
};

// Watches the directories of the user's configuration layers for files written or removed.
ErrorOr<UniqueFd> watch_config(const config::LayerPaths& paths) {
    int fd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (fd < 0)
        return Error::from_errno("inotify_init1", errno);
    UniqueFd watch(fd);
    // cloud-init makes cloud-config.d when it first saves user data: make it now to watch it.
    (void)fs::mkdir_p(paths.cloud_config_dir);
    constexpr uint32_t kEvents =
        IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE;
    for (const auto& dir : {paths.cloud_config_dir, fs::dirname(paths.cloud_config_file)}) {
        if (::inotify_add_watch(watch.get(), dir.c_str(), kEvents) < 0)
            return Error::from_errno("inotify_add_watch", dir, errno);
    }
    return watch;
}

int run_netconf(const Context& context) {
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    ::sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
    UniqueFd signals(::signalfd(-1, &stop_signals, SFD_CLOEXEC));
    if (!signals)
        return fail("netconf: signalfd: " + std::string(std::strerror(errno)));

    Settings settings = load_settings(context);
    DhcpClients clients(settings.dhcp_timeout);
    clients.match(apply_settings(settings));
    std::fprintf(stderr, "ros: netconf: configured, DHCP on %zu interface(s)\n", clients.size());

    auto watch = watch_config(context.paths());
    if (!watch)
        warn("configuration changes will not apply until the service restarts: " +
             watch.error().message());
    // Files change in bursts (a save writes several): apply once they are quiet.
    std::optional<Clock::time_point> reload_at;
    for (;;) {
        std::vector<pollfd> waits{{signals.get(), POLLIN, 0}};
        if (watch)
            waits.push_back({watch->get(), POLLIN, 0});
        auto pidfds = clients.pidfds();
        for (const auto& [fd, link] : pidfds)
            waits.push_back({fd, POLLIN, 0});
        int timeout = clients.next_due_ms();
        if (reload_at) {
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(*reload_at - Clock::now());
            int ms = static_cast<int>(std::max<int64_t>(left.count(), 0));
            timeout = timeout < 0 ? ms : std::min(timeout, ms);
        }
        int ready = ::poll(waits.data(), waits.size(), timeout);
        if (ready < 0 && errno != EINTR)
            return fail("netconf: poll: " + std::string(std::strerror(errno)));
        if (ready > 0 && (waits[0].revents & POLLIN))
            break;
        if (watch && ready > 0 && (waits[1].revents & POLLIN)) {
            char buffer[4096];
            while (::read(watch->get(), buffer, sizeof buffer) > 0) {
            }
            reload_at = Clock::now() + std::chrono::milliseconds(300);
        }
        size_t first_pidfd = watch ? 2 : 1;
        for (size_t i = 0; i < pidfds.size(); ++i) {
            if (waits[first_pidfd + i].revents & (POLLIN | POLLHUP))
                clients.reap(pidfds[i].second);
        }
        clients.restart_due();
        if (reload_at && Clock::now() >= *reload_at) {
            reload_at.reset();
            Settings changed = load_settings(context);
            if (changed.source == settings.source)
                continue;
            settings = std::move(changed);
            std::fprintf(stderr, "ros: netconf: the network configuration changed; applying it\n");
            clients.set_timeout(settings.dhcp_timeout);
            clients.stop_others(dhcp_links(settings));
            clients.match(apply_settings(settings));
            std::fprintf(stderr, "ros: netconf: configured, DHCP on %zu interface(s)\n",
                         clients.size());
        }
    }
    clients.stop_all();
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
