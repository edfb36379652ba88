#include "init/system_settings.h"

#include <fcntl.h>
#include <unistd.h>

#include "base/sys.h"

namespace corral::init {

namespace {

constexpr std::pair<std::string_view, std::string_view> kDefaults[] = {
    {"net.ipv4.ip_forward", "1"},
    {"net.ipv6.conf.all.forwarding", "1"},
    {"net.bridge.bridge-nf-call-iptables", "1"},
    {"net.bridge.bridge-nf-call-ip6tables", "1"},
    {"kernel.printk", "4 4 1 7"},
    {"fs.inotify.max_user_instances", "1024"},
};

}  // namespace

std::span<const std::pair<std::string_view, std::string_view>> default_sysctls() {
    return kDefaults;
}

ErrorOr<std::string> sysctl_path(std::string_view key) {
    std::string path = "/proc/sys";
    std::string_view rest = key;
    if (rest.empty())
        return Error::invalid("empty sysctl key");
    while (!rest.empty()) {
        auto dot = rest.find('.');
        std::string_view part = rest.substr(0, dot);
        if (part.empty() || part == ".." || part.find('/') != std::string_view::npos)
            return Error::invalid("bad sysctl key `" + std::string(key) + "`");
        path += "/";
        path += part;
        if (dot == std::string_view::npos)
            break;
        rest.remove_prefix(dot + 1);
        if (rest.empty())
            return Error::invalid("bad sysctl key `" + std::string(key) + "`");
    }
    return path;
}

std::vector<std::string> apply_sysctls(
    std::span<const std::pair<std::string_view, std::string_view>> settings) {
    std::vector<std::string> failed;
    for (const auto& [key, value] : settings) {
        auto path = sysctl_path(key);
        ErrorOr<void> written = path ? ErrorOr<void>() : ErrorOr<void>(path.error());
        if (path) {
            auto fd = sys::open(*path, O_WRONLY);
            written = fd ? sys::write_all(fd->get(), value) : ErrorOr<void>(fd.error());
        }
        if (!written)
            failed.push_back(std::string(key) + ": " + written.error().message());
    }
    return failed;
}

ErrorOr<void> set_hostname(const std::string& name) {
    if (::sethostname(name.data(), name.size()) < 0)
        return Error::from_errno("sethostname", name, errno);
    return {};
}

}  // namespace corral::init
