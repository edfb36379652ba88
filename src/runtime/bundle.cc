// prepare_bundle: the rootfs mount, the /etc files and config.json of one start.
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/sys.h"
#include "runtime/files.h"
#include "runtime/runtime.h"

namespace corral::runtime {

std::string bundle_dir(const std::string& exec_root_dir) {
    return fs::join(exec_root_dir, "bundle");
}
std::string rootfs_dir(const std::string& container_dir) {
    return fs::join(container_dir, "rootfs");
}
std::string attach_socket_path(const std::string& exec_root_dir) {
    return fs::join(exec_root_dir, "attach.sock");
}
std::string cgroup_dir(const RuntimeOptions& options, const std::string& id) {
    return fs::join(fs::join(options.cgroup_mount, options.cgroup_parent), id);
}

namespace {

std::string host_hostname() {
    char name[256] = {};
    if (::gethostname(name, sizeof(name) - 1) < 0)
        return "localhost";
    return name;
}

std::string hosts_content(const BundleRequest& request) {
    std::string content;
    if (request.host_config.network_mode == "host") {
        auto host_hosts = fs::read_file("/etc/hosts", 1 << 20);
        if (host_hosts)
            content = *host_hosts;
        if (!content.empty() && content.back() != '\n')
            content += '\n';
    } else {
        content =
            "127.0.0.1\tlocalhost\n"
            "::1\tlocalhost ip6-localhost ip6-loopback\n"
            "fe00::0\tip6-localnet\n"
            "ff00::0\tip6-mcastprefix\n"
            "ff02::1\tip6-allnodes\n"
            "ff02::2\tip6-allrouters\n";
    }
    for (const auto& entry : request.host_config.extra_hosts) {
        // "name:ip"; the ip may itself hold colons (IPv6).
        auto colon = entry.find(':');
        if (colon == std::string::npos)
            continue;
        content += entry.substr(colon + 1) + "\t" + entry.substr(0, colon) + "\n";
    }
    for (const auto& line : request.extra_hosts_lines)
        content += line + "\n";
    return content;
}

std::vector<std::string> words(std::string_view line) {
    std::vector<std::string> result;
    size_t start = 0;
    while (start < line.size()) {
        size_t begin = line.find_first_not_of(" \t", start);
        if (begin == std::string_view::npos)
            break;
        size_t end = line.find_first_of(" \t", begin);
        if (end == std::string_view::npos)
            end = line.size();
        result.emplace_back(line.substr(begin, end - begin));
        start = end;
    }
    return result;
}

// The host's resolv.conf with loopback name servers dropped outside the host network (they
// would point at the container itself), docker's public fallback when none remain, and the
// user's --dns/--dns-search replacing the host's.
std::string resolv_content(const BundleRequest& request) {
    const auto& host = request.host_config;
    bool host_network = host.network_mode == "host";
    std::string original;
    if (auto text = fs::read_file("/etc/resolv.conf", 1 << 20))
        original = *text;
    std::vector<std::string> nameservers, search, options_lines;
    size_t start = 0;
    while (start < original.size()) {
        size_t end = original.find('\n', start);
        if (end == std::string::npos)
            end = original.size();
        auto fields = words(std::string_view(original).substr(start, end - start));
        start = end + 1;
        if (fields.empty() || fields[0].starts_with('#') || fields[0].starts_with(';'))
            continue;
        if (fields[0] == "nameserver" && fields.size() > 1) {
            bool loopback = fields[1].starts_with("127.") || fields[1] == "::1";
            if (host_network || !loopback)
                nameservers.push_back(fields[1]);
        } else if ((fields[0] == "search" || fields[0] == "domain") && fields.size() > 1) {
            search.assign(fields.begin() + 1, fields.end());
        } else if (fields[0] == "options") {
            std::string line = "options";
            for (size_t i = 1; i < fields.size(); ++i)
                line += " " + fields[i];
            options_lines.push_back(line);
        }
    }
    if (!host.dns.empty())
        nameservers = host.dns;
    if (!host.dns_search.empty())
        search = host.dns_search;
    if (nameservers.empty() && !host_network)
        nameservers = {"8.8.8.8", "8.8.4.4"};
    std::string content;
    for (const auto& server : nameservers)
        content += "nameserver " + server + "\n";
    if (!search.empty()) {
        content += "search";
        for (const auto& domain : search)
            content += " " + domain;
        content += "\n";
    }
    for (const auto& line : options_lines)
        content += line + "\n";
    return content;
}

}  // namespace

ErrorOr<Bundle> prepare_bundle(const BundleRequest& request, const RuntimeOptions& options) {
    if (request.id.empty() || request.id.find('/') != std::string::npos)
        return Error::invalid("invalid container id `" + request.id + "`");
    if (request.container_dir.empty() || request.container_dir.front() != '/')
        return Error::invalid("container dir must be an absolute path");
    if (request.exec_root_dir.empty() || request.exec_root_dir.front() != '/')
        return Error::invalid("exec root dir must be an absolute path");
    std::string bundle = bundle_dir(request.exec_root_dir);
    std::string rootfs = rootfs_dir(request.container_dir);
    TRY(fs::mkdir_p(bundle, 0700));
    TRY(fs::mkdir_p(rootfs, 0755));
    // Left over from a run the shim could not clean up (the shim killed, say).
    if (TRY(fs::is_mount_point(rootfs)))
        TRY(unmount_rootfs(request.container_dir));

    Bundle result;
    result.bundle_dir = bundle;
    result.rootfs.emplace(TRY(RootfsMount::create(
        request.lower_dirs, fs::join(request.container_dir, "upper"),
        fs::join(request.container_dir, "work"), rootfs, request.host_config.auto_remove)));

    std::string hostname =
        request.host_config.uts_mode == "host" ? host_hostname() : request.config.hostname;
    if (hostname.empty())
        hostname = request.id.substr(0, 12);
    TRY(write_file_replace(fs::join(request.exec_root_dir, "hostname"), hostname + "\n"));
    TRY(write_file_replace(fs::join(request.exec_root_dir, "hosts"), hosts_content(request)));
    TRY(write_file_replace(fs::join(request.exec_root_dir, "resolv.conf"),
                           resolv_content(request)));
    // Docker creates missing bind sources as directories (the -v behaviour).
    for (const auto& mount : request.host_config.mounts) {
        if (mount.type == engine::MountSpec::Type::bind && !mount.source.empty() &&
            mount.source.front() == '/' && !TRY(fs::exists(mount.source)))
            TRY(fs::mkdir_p(mount.source));
    }
    BundleRequest effective = request;
    if (effective.config.hostname.empty())
        effective.config.hostname = hostname;
    auto generated = TRY(generate_spec(effective, options, rootfs));
    TRY(write_file_replace(fs::join(bundle, "config.json"), generated.json, 0600));
    result.warnings = std::move(generated.warnings);
    if (!request.exec_root_dir.empty())
        TRY(fs::mkdir_p(request.exec_root_dir, 0700));
    return result;
}

}  // namespace corral::runtime
