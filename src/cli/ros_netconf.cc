// `ros netconf`: what the network system service runs. Applies (netconf_apply.cc) `rancher.network`
// (or `rancher.defaults.network` when the user configured no interface): bonds (options through the
// bonding driver's sysfs files), bridges and VLANs, static addresses and gateways, MTUs, DNS; runs
// busybox udhcpc for every DHCP interface, restarting one that dies. It then stays, watching the
// configuration files: when the network settings change (cloud-init saved the user data of this
// boot, `ros config set rancher.network...`), it applies them again and starts or stops DHCP
// clients to match (the service's `io.rancher.os.reloadconfig`). udhcpc calls back `ros netconf
// dhcp-event`, which applies a lease. Links and addresses are changed with `ip` (busybox's in the
// system images).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <set>

#include "base/fs.h"
#include "base/process.h"
#include "base/sys.h"
#include "cli/netconf_apply.h"
#include "cli/ros.h"
#include "net/netconf.h"

extern char** environ;

namespace corral::cli::ros {

namespace {

using netconf::apply_settings;
using netconf::dhcp_links;
using netconf::load_settings;
using netconf::run_logged;
using netconf::Settings;
using netconf::warn;
using netconf::write_resolv_conf;

constexpr const char* kDhcpScript = "/run/corral/udhcpc-script";

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

    // Watching starts before the first read: a file saved while the first settings apply
    // (cloud-init runs beside this service) is seen.
    auto watch = watch_config(context.paths());
    if (!watch)
        warn("configuration changes will not apply until the service restarts: " +
             watch.error().message());
    Settings settings = load_settings(context);
    DhcpClients clients(settings.dhcp_timeout);
    clients.match(apply_settings(settings));
    std::fprintf(stderr, "ros: netconf: configured, DHCP on %zu interface(s)\n", clients.size());
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
