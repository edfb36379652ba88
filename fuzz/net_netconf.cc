// Fuzzes the network configuration's text inputs: interface keys and globs, netmasks, VLAN
// lists, and udhcpc's lease variables (as the DHCP server sent them).
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "net/netconf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    // Four fields separated by newlines feed the functions that take several strings.
    std::string_view fields[4];
    std::string_view rest = text;
    for (auto& field : fields) {
        size_t end = rest.find('\n');
        field = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    }
    (void)corral::net::interface_matches(fields[0], fields[1], fields[2], fields[3]);
    (void)corral::net::prefix_from_netmask(text);
    (void)corral::net::parse_vlans(fields[0], fields[1]);
    (void)corral::net::split_words(text);
    std::map<std::string, std::string> environment = {
        {"interface", std::string(fields[0])}, {"ip", std::string(fields[1])},
        {"subnet", std::string(fields[2])},    {"router", std::string(fields[3])},
        {"dns", std::string(fields[3])},       {"search", std::string(fields[2])},
        {"mtu", std::string(fields[1])}};
    if (auto lease = corral::net::lease_from_environment(environment)) {
        corral::net::ResolvConf conf{lease->dns, lease->search, lease->domain, {}};
        (void)corral::net::render_resolv_conf(conf);
    }
    return 0;
}
