#include "net/netconf.h"

#include <arpa/inet.h>
#include <fnmatch.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace corral::net {

namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

void add_unique(std::vector<std::string>& list, const std::string& item) {
    if (!item.empty() && std::find(list.begin(), list.end(), item) == list.end())
        list.push_back(item);
}

ErrorOr<int> parse_int(std::string_view text, std::string_view what) {
    int value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size())
        return Error::invalid(std::string(what) + ": `" + std::string(text) + "` is not a number");
    return value;
}

}  // namespace

std::vector<std::string> split_words(std::string_view text) {
    std::vector<std::string> words;
    size_t at = 0;
    while (at < text.size()) {
        size_t start = text.find_first_not_of(" \t\n", at);
        if (start == std::string_view::npos)
            break;
        size_t end = text.find_first_of(" \t\n", start);
        if (end == std::string_view::npos)
            end = text.size();
        words.emplace_back(text.substr(start, end - start));
        at = end;
    }
    return words;
}

bool interface_matches(std::string_view key, std::string_view match, std::string_view name,
                       std::string_view mac) {
    std::string_view selector = match.empty() ? key : match;
    if (selector.starts_with("mac="))
        return !mac.empty() && lower(selector.substr(4)) == lower(mac);
    std::string pattern(selector);
    std::string subject(name);
    return ::fnmatch(pattern.c_str(), subject.c_str(), 0) == 0;
}

ErrorOr<int> prefix_from_netmask(std::string_view netmask) {
    in_addr address{};
    std::string text(netmask);
    if (::inet_pton(AF_INET, text.c_str(), &address) != 1)
        return Error::invalid("netmask `" + text + "` is not an IPv4 address");
    uint32_t bits = ntohl(address.s_addr);
    int prefix = 0;
    while (prefix < 32 && (bits & (0x80000000u >> prefix)))
        ++prefix;
    uint32_t expected = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
    if (bits != expected)
        return Error::invalid("netmask `" + text + "` is not contiguous");
    return prefix;
}

ErrorOr<Lease> lease_from_environment(const std::map<std::string, std::string>& environment) {
    auto get = [&](const char* name) {
        auto found = environment.find(name);
        return found == environment.end() ? std::string() : found->second;
    };
    Lease lease;
    lease.interface = get("interface");
    lease.address = get("ip");
    if (lease.interface.empty())
        return Error::invalid("DHCP lease without `interface`");
    if (lease.address.empty())
        return Error::invalid("DHCP lease on " + lease.interface + " without `ip`");
    std::string subnet = get("subnet");
    if (subnet.empty())
        lease.prefix = 24;
    else if (subnet.find('.') == std::string::npos)
        lease.prefix = TRY(parse_int(subnet, "subnet"));
    else
        lease.prefix = TRY_CONTEXT(prefix_from_netmask(subnet), "DHCP lease on " + lease.interface);
    if (lease.prefix < 0 || lease.prefix > 32)
        return Error::invalid("DHCP lease prefix " + std::to_string(lease.prefix) +
                              " out of range");
    lease.broadcast = get("broadcast");
    lease.routers = split_words(get("router"));
    lease.dns = split_words(get("dns"));
    lease.domain = get("domain");
    lease.search = split_words(get("search"));
    if (std::string mtu = get("mtu"); !mtu.empty())
        lease.mtu = TRY(parse_int(mtu, "mtu"));
    return lease;
}

std::string render_resolv_conf(const ResolvConf& conf) {
    std::string text = "# written by ros netconf\n";
    std::vector<std::string> servers;
    for (const auto& server : conf.nameservers)
        add_unique(servers, server);
    if (servers.size() > 3)
        servers.resize(3);
    std::vector<std::string> search;
    for (const auto& domain : conf.search)
        add_unique(search, domain);
    if (!conf.domain.empty())
        text += "domain " + conf.domain + "\n";
    if (!search.empty()) {
        text += "search";
        for (const auto& domain : search)
            text += " " + domain;
        text += "\n";
    }
    for (const auto& server : servers)
        text += "nameserver " + server + "\n";
    if (!conf.options.empty()) {
        text += "options";
        for (const auto& option : conf.options)
            text += " " + option;
        text += "\n";
    }
    return text;
}

ErrorOr<std::vector<Vlan>> parse_vlans(std::string_view text, std::string_view link) {
    std::vector<Vlan> vlans;
    size_t at = 0;
    while (at <= text.size()) {
        size_t comma = text.find(',', at);
        std::string_view entry =
            text.substr(at, comma == std::string_view::npos ? std::string_view::npos : comma - at);
        while (!entry.empty() && std::isspace(static_cast<unsigned char>(entry.front())))
            entry.remove_prefix(1);
        while (!entry.empty() && std::isspace(static_cast<unsigned char>(entry.back())))
            entry.remove_suffix(1);
        if (!entry.empty()) {
            Vlan vlan;
            size_t colon = entry.find(':');
            vlan.id = TRY(parse_int(entry.substr(0, colon), "vlan id"));
            if (vlan.id < 1 || vlan.id > 4094)
                return Error::invalid("vlan id " + std::to_string(vlan.id) +
                                      " out of range (1-4094)");
            vlan.name = colon == std::string_view::npos
                            ? std::string(link) + "." + std::to_string(vlan.id)
                            : std::string(entry.substr(colon + 1));
            if (vlan.name.empty() || vlan.name.size() > 15)
                return Error::invalid("vlan name `" + vlan.name + "` must be 1-15 characters");
            vlans.push_back(std::move(vlan));
        }
        if (comma == std::string_view::npos)
            break;
        at = comma + 1;
    }
    return vlans;
}

}  // namespace corral::net
