// `ros cloud-init`: what the cloud-init system service runs. It mounts the NoCloud (`cidata`)
// and config drive (`config-2`) disks, saves the user data of the first configured datasource
// that has some as the cloud-config.d/boot.yml layer, then applies the merged configuration
// in the host's mount namespace: bootcmd, hostname, SSH keys, write_files, mounts, sysctl and
// a user-data script. `runcmd` runs later, from the console (`ros cloud-init --runcmd`), and
// write_files meant for a container are written inside it (`--write-files-for NAME`).
// Problems are warnings on the service's log, in /var/log/cloud-init.log and on the console:
// a broken cloud-config never stops the boot.
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <set>
#include <sstream>

#include "base/block_label.h"
#include "base/fs.h"
#include "base/process.h"
#include "base/sys.h"
#include "cli/ros.h"
#include "cli/ros_cloud_init.h"
#include "config/datasource.h"

namespace corral::cli::ros {

namespace {

constexpr const char* kLog = "/var/log/cloud-init.log";
constexpr const char* kRuncmdLog = "/var/log/cloud-init-runcmd.log";

struct CloudInitOptions {
    bool runcmd = false;
    std::string write_files_for;
};

// A disk's file-system label (base/block_label.h); empty when it has none or cannot be read.
std::string read_label(const std::string& device) {
    auto identity = block::identify_device(device);
    return identity && *identity ? (*identity)->label : std::string();
}

bool is_mount_point(const std::string& directory) {
    auto mounts = fs::read_file("/proc/self/mounts", 4 << 20);
    return mounts && mounts->find(" " + directory + " ") != std::string::npos;
}

// Mounts datasource disks found by label on /media/cidata and /media/config-2 (read-only).
// At boot the drivers of some disks may still be loading (the services start without them):
// the disks are looked at once they are in.
void mount_datasource_disks(std::vector<std::string>& warnings) {
    if (!block::wait_for_disk_drivers(60))
        warnings.push_back("disk drivers still loading after 60 s (" +
                           std::string(block::kDiskDriversLoading) +
                           "): looking for datasource disks anyway");
    for (const auto& name : block::list_block_devices()) {
        std::string device = "/dev/" + name;
        if (auto present = sys::stat_if_exists(device); !present || !*present)
            device = "/host/dev/" + name;
        std::string label = read_label(device);
        for (char& c : label)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (label != "cidata" && label != "config-2")
            continue;
        std::string directory = "/media/" + label;
        if (is_mount_point(directory))
            continue;
        (void)fs::mkdir_p(directory);
        auto mounted = sys::mount(device, directory, "iso9660", MS_RDONLY);
        if (!mounted)
            mounted = sys::mount(device, directory, "vfat", MS_RDONLY);
        if (!mounted)
            warnings.push_back("datasource disk " + device + " (" + label +
                               "): " + mounted.error().message());
    }
}

// Into PID 1's mount namespace: the files cloud-init writes are the host's.
ErrorOr<void> enter_host_mounts() {
    auto fd = TRY(sys::open("/proc/1/ns/mnt", O_RDONLY));
    if (::setns(fd.get(), CLONE_NEWNS) < 0)
        return Error::from_errno("setns", "/proc/1/ns/mnt", errno);
    if (::chdir("/") < 0)
        return Error::from_errno("chdir", "/", errno);
    return {};
}

// Whether reading a datasource needs the network: `url:`, and `cmdline` when the kernel
// command line names a cloud-config-url. The others are disks and files.
bool needs_network(const std::vector<std::string>& datasources) {
    for (const auto& spec : datasources) {
        if (spec.starts_with("url:"))
            return true;
        if (spec == "cmdline") {
            auto cmdline = fs::read_file("/proc/cmdline", 1 << 16);
            if (cmdline && cmdline->find("cloud-config-url=") != std::string::npos)
                return true;
        }
    }
    return false;
}

bool has_default_route() {
    auto routes = fs::read_file("/proc/net/route", 1 << 20);
    if (!routes)
        return false;
    std::istringstream lines(*routes);
    std::string line;
    std::getline(lines, line);  // the header
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        std::string interface, destination;
        if (fields >> interface >> destination && destination == "00000000")
            return true;
    }
    return false;
}

// The cloud-init service no longer waits for the network service (most datasources are
// disks): one that reads a URL waits here for a default route, as long as DHCP may take.
bool wait_for_network(int seconds) {
    for (int tenths = 0; tenths < seconds * 10; ++tenths) {
        if (has_default_route())
            return true;
        timespec pause{0, 100'000'000};
        ::nanosleep(&pause, nullptr);
    }
    return has_default_route();
}

class Reporter {
  public:
    explicit Reporter(const std::string& root) : root_(root) {}
    void warning(const std::string& message) {
        line("warning: " + message);
        // The console shows warnings (the system's log has everything).
        // Containers have no /dev/console of their own; the host's /dev is at /host/dev
        // (system-volumes) until cloud-init enters the host's mounts.
        if (root_.empty()) {
            auto console = sys::open("/dev/console", O_WRONLY | O_NOCTTY | O_NONBLOCK);
            if (!console)
                console = sys::open("/host/dev/console", O_WRONLY | O_NOCTTY | O_NONBLOCK);
            if (console)
                (void)sys::write_all(console->get(),
                                     "corral: cloud-init: warning: " + message + "\n");
        }
    }
    void info(const std::string& message) { line(message); }
    // Lines so far also go to the log file (once the host's /var/log is reachable).
    void open_log(const std::string& path) {
        auto fd = sys::open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (!fd)
            return;
        log_ = std::move(*fd);
        (void)sys::write_all(log_.get(), pending_);
        pending_.clear();
    }

  private:
    void line(const std::string& message) {
        std::string text = "ros: cloud-init: " + message + "\n";
        (void)sys::write_all(STDERR_FILENO, text);
        if (log_)
            (void)sys::write_all(log_.get(), text);
        else
            pending_ += text;
    }
    std::string root_;
    UniqueFd log_;
    std::string pending_;
};

void report_apply(Reporter& reporter, const ApplyReport& report) {
    for (const auto& done : report.done)
        reporter.info("applied " + done);
    for (const auto& warning : report.warnings)
        reporter.warning(warning);
}

// write_files for containers that are running now are written inside them (the engine's
// exec); the console and the user engine start later and write their own.
void write_files_in_running_containers(const config::CloudConfig& config, Reporter& reporter) {
    std::set<std::string> containers;
    for (const auto& file : config.write_files)
        if (!file.container.empty())
            containers.insert(file.container);
    for (const auto& container : containers) {
        if (container == "console" || container == "docker")
            continue;
        // cloud-init starts beside the other services: one not started yet gets a moment.
        for (int tries = 0; tries < 100; ++tries) {
            auto state =
                run({"system-docker", "inspect", "--format", "{{.State.Status}}", container});
            if (!state || state->exit_code != 0 ||
                !(state->out.starts_with("created") || state->out.starts_with("restarting")))
                break;
            timespec pause{0, 100'000'000};
            ::nanosleep(&pause, nullptr);
        }
        auto result = run({"system-docker", "exec", container, "ros", "cloud-init",
                           "--write-files-for", container});
        if (!result)
            reporter.warning("write_files for container " + container + ": " +
                             result.error().message());
        else if (result->exit_code != 0)
            reporter.warning("write_files for container " + container + ": " + result->err);
        else
            reporter.info("write_files for container " + container + " written inside it");
    }
}

int run_cloud_init(const Context& context) {
    Reporter reporter(context.root);
    ApplyOptions options;
    options.root = context.root;
    options.system = context.root.empty() || context.root == "/";
    // The configuration as it is first: at boot, reading it overlaps the last disk drivers'
    // loading, which the datasource disks wait for.
    config::LoadedConfig before = config::load_config(context.paths());
    config::CloudConfig typed_before = before.typed();
    if (options.system) {
        std::vector<std::string> warnings;
        mount_datasource_disks(warnings);
        for (const auto& warning : warnings)
            reporter.warning(warning);
    }
    if (options.system && needs_network(typed_before.rancher.datasources)) {
        int seconds = typed_before.rancher.network.dhcp_timeout > 0
                          ? typed_before.rancher.network.dhcp_timeout
                          : typed_before.rancher.defaults.network.dhcp_timeout;
        // ros netconf gives DHCP this long, then tries again once.
        if (!wait_for_network(std::max(seconds, 10) * 2))
            reporter.warning("no default route yet; reading the network datasources anyway");
    }
    auto saved = config::save_user_data(context.paths(), typed_before.rancher.datasources);
    if (!saved) {
        reporter.warning("saving the user data: " + saved.error().message());
    } else {
        // Datasource failures (unreachable, not YAML) are warnings: the boot goes on.
        for (const auto& error : saved->errors)
            reporter.warning("datasource " + error);
        if (saved->source.empty())
            reporter.info("no user data");
        else
            reporter.info("saved " + saved->source + " to " + saved->written);
    }
    config::LoadedConfig loaded = config::load_config(context.paths());
    for (const auto& error : loaded.errors)
        reporter.warning("configuration layer skipped: " + error);
    for (const auto& problem : loaded.problems)
        reporter.warning(problem.to_string());
    config::CloudConfig config = loaded.typed();

    if (options.system) {
        if (auto entered = enter_host_mounts(); !entered)
            reporter.warning("applying in this container only: " + entered.error().message());
    }
    (void)fs::mkdir_p(fs::dirname(options.system ? kLog : context.root + kLog));
    reporter.open_log(options.system ? kLog : context.root + kLog);
    ApplyReport report;
    {
        auto log = sys::open(options.system ? kLog : context.root + kLog,
                             O_WRONLY | O_CREAT | O_APPEND, 0644);
        run_commands(config.bootcmd, "bootcmd", log ? log->get() : STDERR_FILENO, report);
    }
    apply_hostname(config, options, report);
    apply_ssh_keys(config, options, report);
    apply_write_files(config, "", options, report);
    apply_mounts(config, options, report);
    apply_sysctl(config, options, report);
    std::string script =
        fs::join(fs::dirname(context.paths().cloud_config_file), "cloud-config-script");
    if (saved && saved->written == script) {
        auto log = sys::open(options.system ? kLog : context.root + kLog,
                             O_WRONLY | O_CREAT | O_APPEND, 0644);
        run_commands({config::Command{"", {script}}}, "user-data script",
                     log ? log->get() : STDERR_FILENO, report);
    }
    report_apply(reporter, report);
    if (options.system)
        write_files_in_running_containers(config, reporter);
    return 0;
}

int run_runcmd(const Context& context) {
    Reporter reporter(context.root);
    config::CloudConfig config = config::load_config(context.paths()).typed();
    std::string path = context.root.empty() ? kRuncmdLog : context.root + kRuncmdLog;
    (void)fs::mkdir_p(fs::dirname(path));
    auto log = sys::open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    ApplyReport report;
    run_commands(config.runcmd, "runcmd", log ? log->get() : STDERR_FILENO, report);
    report_apply(reporter, report);
    return report.warnings.empty() ? 0 : 1;
}

int run_write_files_for(const Context& context, const std::string& container) {
    Reporter reporter(context.root);
    config::CloudConfig config = config::load_config(context.paths()).typed();
    ApplyOptions options;
    options.root = context.root;
    ApplyReport report;
    apply_write_files(config, container, options, report);
    report_apply(reporter, report);
    return report.warnings.empty() ? 0 : 1;
}

}  // namespace

void add_cloud_init_command(CLI::App& app, Context& context) {
    static CloudInitOptions cloud_init;
    CLI::App* command = app.add_subcommand(
        "cloud-init",
        "Save the user data of the first datasource that has some "
        "(rancher.cloud_init.datasources) as cloud-config.d/boot.yml, then apply the "
        "configuration: bootcmd, hostname, ssh_authorized_keys, write_files, mounts, "
        "rancher.sysctl");
    command->add_flag("--runcmd", cloud_init.runcmd,
                      "Run the runcmd commands instead (the console does, once per boot)");
    command->add_option("--write-files-for", cloud_init.write_files_for,
                        "Write the write_files entries whose `container` is this service, "
                        "here (a service runs this inside its own container)");
    command->callback([&context] {
        if (cloud_init.runcmd)
            context.action = [&context] { return run_runcmd(context); };
        else if (!cloud_init.write_files_for.empty())
            context.action = [&context] {
                return run_write_files_for(context, cloud_init.write_files_for);
            };
        else
            context.action = [&context] { return run_cloud_init(context); };
    });
}

}  // namespace corral::cli::ros
