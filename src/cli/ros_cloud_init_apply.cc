// Applying the items of a cloud-config: hostname, SSH keys, write_files, mounts, sysctl and
// commands. Each item is applied on its own; a failure becomes a warning that names the item
// and the key, and the next item goes on.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <map>

#include "base/fs.h"
#include "base/process.h"
#include "base/sys.h"
#include "cli/ros_cloud_init.h"
#include "config/content.h"

namespace corral::cli::ros {

namespace {

constexpr unsigned kRancherUid = 1100;  // images/os-console/recipe

std::string under(const std::string& root, const std::string& path) {
    if (root.empty() || root == "/")
        return path;
    return root + path;
}

// Files bind-mounted into containers by inode (/etc/hosts) are rewritten in place.
ErrorOr<void> write_in_place(const std::string& path, std::string_view text, mode_t mode) {
    auto fd = TRY(sys::open(path, O_WRONLY | O_CREAT | O_TRUNC, mode));
    TRY(sys::write_all(fd.get(), text));
    return {};
}

// name → id from a passwd or group file (the first and third fields).
std::map<std::string, unsigned> read_ids(const std::string& path) {
    std::map<std::string, unsigned> ids;
    auto text = fs::read_file(path, 1 << 20);
    if (!text)
        return ids;
    size_t at = 0;
    while (at < text->size()) {
        size_t end = text->find('\n', at);
        if (end == std::string::npos)
            end = text->size();
        std::string line = text->substr(at, end - at);
        at = end + 1;
        size_t first = line.find(':');
        size_t second = first == std::string::npos ? first : line.find(':', first + 1);
        size_t third = second == std::string::npos ? second : line.find(':', second + 1);
        if (third == std::string::npos)
            continue;
        std::string id = line.substr(second + 1, third - second - 1);
        if (!id.empty() && id.find_first_not_of("0123456789") == std::string::npos)
            ids.emplace(line.substr(0, first), static_cast<unsigned>(std::stoul(id)));
    }
    return ids;
}

ErrorOr<unsigned> lookup_id(const std::string& name, const std::map<std::string, unsigned>& table,
                            const std::map<std::string, unsigned>& fixed, const char* what) {
    if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos &&
        name.size() < 10)
        return static_cast<unsigned>(std::stoul(name));
    if (auto found = table.find(name); found != table.end())
        return found->second;
    if (auto found = fixed.find(name); found != fixed.end())
        return found->second;
    return Error::not_found(std::string("no ") + what + " `" + name + "`");
}

void warn(ApplyReport& report, std::string message) {
    report.warnings.push_back(std::move(message));
}

}  // namespace

ErrorOr<Owner> resolve_owner(const std::string& owner, const std::string& root) {
    static const std::map<std::string, unsigned> fixed_users{{"root", 0}, {"rancher", kRancherUid}};
    static const std::map<std::string, unsigned> fixed_groups{
        {"root", 0}, {"sudo", 27}, {"docker", 999}, {"rancher", kRancherUid}};
    Owner result;
    if (owner.empty())
        return result;
    size_t colon = owner.find(':');
    std::string user = owner.substr(0, colon);
    std::string group = colon == std::string::npos ? "" : owner.substr(colon + 1);
    auto users = read_ids(under(root, "/etc/passwd"));
    auto groups = read_ids(under(root, "/etc/group"));
    result.uid = TRY(lookup_id(user, users, fixed_users, "user"));
    if (group.empty()) {
        // The user's own group: as the primary group of passwd would say, for the users we know.
        auto by_name = lookup_id(user, groups, fixed_groups, "group");
        result.gid = by_name ? *by_name : result.uid;
    } else {
        result.gid = TRY(lookup_id(group, groups, fixed_groups, "group"));
    }
    return result;
}

void apply_hostname(const config::CloudConfig& config, const ApplyOptions& options,
                    ApplyReport& report) {
    std::string name = config.effective_hostname();
    if (name.empty())
        return;
    if (name.size() > 64 || name.find_first_of(" \t\n/") != std::string::npos) {
        warn(report, "hostname: `" + name + "` is not a valid host name");
        return;
    }
    (void)fs::mkdir_p(under(options.root, "/etc"));
    if (options.system && ::sethostname(name.data(), name.size()) < 0)
        warn(report, "hostname: " + Error::from_errno("sethostname", name, errno).message());
    if (auto written = write_in_place(under(options.root, "/etc/hostname"), name + "\n", 0644);
        !written)
        warn(report, "hostname: " + written.error().message());
    // /etc/hosts: our 127.0.1.1 line names this host; every other line stays.
    std::string hosts_path = under(options.root, "/etc/hosts");
    auto hosts = fs::read_file(hosts_path, 1 << 20);
    std::string old = hosts ? *hosts : "127.0.0.1 localhost\n::1 localhost\n";
    std::string text;
    size_t at = 0;
    while (at < old.size()) {
        size_t end = old.find('\n', at);
        if (end == std::string::npos)
            end = old.size();
        std::string line = old.substr(at, end - at);
        at = end + 1;
        if (!line.starts_with("127.0.1.1"))
            text += line + "\n";
    }
    text += "127.0.1.1 " + name + "\n";
    if (auto written = write_in_place(hosts_path, text, 0644); !written)
        warn(report, "hostname: /etc/hosts: " + written.error().message());
    report.done.push_back("hostname " + name);
}

void apply_ssh_keys(const config::CloudConfig& config, const ApplyOptions& options,
                    ApplyReport& report) {
    if (config.ssh_authorized_keys.empty())
        return;
    std::string home = under(options.root, "/home/rancher");
    std::string directory = home + "/.ssh";
    std::string text;
    for (size_t i = 0; i < config.ssh_authorized_keys.size(); ++i) {
        const std::string& key = config.ssh_authorized_keys[i];
        if (key.empty() || key.find('\n') != std::string::npos) {
            warn(report, "ssh_authorized_keys[" + std::to_string(i) + "]: not one line");
            continue;
        }
        text += key + "\n";
    }
    auto applied = [&]() -> ErrorOr<void> {
        TRY(fs::mkdir_p(home, 0755));
        TRY(fs::mkdir_p(directory, 0700));
        TRY(sys::chmod(directory, 0700));
        TRY(sys::chown(home, kRancherUid, kRancherUid));
        TRY(sys::chown(directory, kRancherUid, kRancherUid));
        std::string file = directory + "/authorized_keys";
        TRY(fs::write_file_atomic(file, text, 0600));
        TRY(sys::chown(file, kRancherUid, kRancherUid));
        return {};
    }();
    if (!applied)
        warn(report, "ssh_authorized_keys: " + applied.error().message());
    else
        report.done.push_back("ssh_authorized_keys: " +
                              std::to_string(config.ssh_authorized_keys.size()) + " for rancher");
}

void apply_write_files(const config::CloudConfig& config, const std::string& container,
                       const ApplyOptions& options, ApplyReport& report) {
    for (size_t i = 0; i < config.write_files.size(); ++i) {
        const config::WriteFile& file = config.write_files[i];
        if (file.container != container)
            continue;
        std::string item = "write_files[" + std::to_string(i) + "]";
        if (file.path.empty() || file.path.front() != '/') {
            warn(report, item + ".path: `" + file.path + "` is not an absolute path");
            continue;
        }
        item += " (" + file.path + ")";
        auto content = config::decoded_content(file);
        if (!content) {
            warn(report, item + ".encoding: " + content.error().message());
            continue;
        }
        auto mode = config::parse_permissions(file.permissions);
        if (!mode) {
            warn(report, item + ".permissions: " + mode.error().message());
            continue;
        }
        auto owner = resolve_owner(file.owner, options.root);
        if (!owner) {
            warn(report, item + ".owner: " + owner.error().message());
            continue;
        }
        std::string path = under(options.root, file.path);
        auto written = [&]() -> ErrorOr<void> {
            TRY(fs::mkdir_p(fs::dirname(path)));
            if (file.append) {
                auto fd = TRY(sys::open(path, O_WRONLY | O_CREAT | O_APPEND, *mode));
                TRY(sys::write_all(fd.get(), *content));
            } else {
                TRY(fs::write_file_atomic(path, *content, *mode));
            }
            TRY(sys::chown(path, owner->uid, owner->gid));
            TRY(sys::chmod(path, *mode));
            return {};
        }();
        if (!written)
            warn(report, item + ": " + written.error().message());
        else
            report.done.push_back(item);
    }
}

void apply_mounts(const config::CloudConfig& config, const ApplyOptions& options,
                  ApplyReport& report) {
    for (size_t i = 0; i < config.mounts.size(); ++i) {
        const config::Mount& mount = config.mounts[i];
        std::string item = "mounts[" + std::to_string(i) + "]";
        if (mount.type == "swap" || mount.directory == "none" || mount.directory == "swap") {
            if (options.system) {
                auto result = run({"swapon", mount.device});
                if (!result || result->exit_code != 0)
                    warn(report, item + ": swapon " + mount.device + ": " +
                                     (result ? result->err : result.error().message()));
                else
                    report.done.push_back(item + " swap " + mount.device);
            }
            continue;
        }
        if (mount.directory.empty() || mount.directory.front() != '/') {
            warn(report, item + "[1]: `" + mount.directory + "` is not an absolute path");
            continue;
        }
        std::string directory = under(options.root, mount.directory);
        if (auto made = fs::mkdir_p(directory); !made) {
            warn(report, item + ": " + made.error().message());
            continue;
        }
        if (!options.system)
            continue;
        std::vector<std::string> argv{"mount"};
        if (!mount.type.empty() && mount.type != "auto") {
            argv.push_back("-t");
            argv.push_back(mount.type);
        }
        if (!mount.options.empty() && mount.options != "defaults") {
            argv.push_back("-o");
            argv.push_back(mount.options);
        }
        argv.push_back(mount.device);
        argv.push_back(directory);
        auto result = run(argv);
        if (!result) {
            warn(report, item + ": " + result.error().message());
        } else if (result->exit_code != 0) {
            std::string detail = result->err;
            while (!detail.empty() && detail.back() == '\n')
                detail.pop_back();
            warn(report, item + ": mount " + mount.device + " on " + mount.directory +
                             " failed: " + detail);
        } else {
            report.done.push_back(item + " " + mount.device + " on " + mount.directory);
        }
    }
}

void apply_sysctl(const config::CloudConfig& config, const ApplyOptions& options,
                  ApplyReport& report) {
    for (const auto& [key, value] : config.rancher.sysctl) {
        std::string item = "rancher.sysctl." + key;
        std::string path = "/proc/sys";
        bool valid = !key.empty() && key.front() != '.' && key.back() != '.';
        for (size_t at = 0; valid && at < key.size();) {
            size_t dot = key.find('.', at);
            std::string part = key.substr(at, dot == std::string::npos ? dot : dot - at);
            if (part.empty() || part == ".." || part.find('/') != std::string::npos)
                valid = false;
            path += "/" + part;
            at = dot == std::string::npos ? key.size() : dot + 1;
        }
        if (!valid) {
            warn(report, item + ": not a kernel parameter name");
            continue;
        }
        // A lambda may not name a structured binding before clang 16: the value by a reference.
        const std::string& text = value;
        auto written = [&]() -> ErrorOr<void> {
            auto fd = TRY(sys::open(under(options.root, path), O_WRONLY));
            TRY(sys::write_all(fd.get(), text));
            return {};
        }();
        if (!written)
            warn(report, item + ": " + written.error().message());
        else
            report.done.push_back(item + "=" + value);
    }
}

void run_commands(const std::vector<config::Command>& commands, const std::string& key, int log_fd,
                  ApplyReport& report) {
    for (size_t i = 0; i < commands.size(); ++i) {
        const config::Command& command = commands[i];
        std::string item = key + "[" + std::to_string(i) + "]";
        SpawnOptions spawn_options;
        if (!command.argv.empty())
            spawn_options.argv = command.argv;
        else if (!command.shell.empty())
            spawn_options.argv = {"sh", "-c", command.shell};
        else
            continue;
        spawn_options.fds = {{1, log_fd}, {2, log_fd}};
        spawn_options.cwd = "/";
        auto child = spawn(spawn_options);
        if (!child) {
            warn(report, item + ": " + child.error().message());
            continue;
        }
        auto code = child->wait();
        if (!code)
            warn(report, item + ": " + code.error().message());
        else if (*code != 0)
            warn(report, item + ": `" +
                             (command.shell.empty() ? spawn_options.argv.front() : command.shell) +
                             "` exited " + std::to_string(*code));
        else
            report.done.push_back(item);
    }
}

}  // namespace corral::cli::ros
