// Which registries are insecure (dockerd's --insecure-registry): a HOST[:PORT] entry names
// one registry exactly as image names spell it; a CIDR entry covers every registry whose host
// is an IP address inside the range, or a name that resolves to one.
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>

#include "image/registry.h"

namespace corral::image {

namespace {

struct Network {
    int family = 0;
    unsigned char address[16] = {};
    int prefix = 0;
};

// "10.0.0.0/8", "fd00::/8"; nullopt when `text` is not a CIDR range.
std::optional<Network> parse_cidr(std::string_view text) {
    size_t slash = text.find('/');
    if (slash == std::string_view::npos)
        return std::nullopt;
    std::string address(text.substr(0, slash));
    std::string_view bits = text.substr(slash + 1);
    if (bits.empty() || bits.size() > 3)
        return std::nullopt;
    int prefix = 0;
    for (char c : bits) {
        if (c < '0' || c > '9')
            return std::nullopt;
        prefix = prefix * 10 + (c - '0');
    }
    Network network;
    if (::inet_pton(AF_INET, address.c_str(), network.address) == 1)
        network.family = AF_INET;
    else if (::inet_pton(AF_INET6, address.c_str(), network.address) == 1)
        network.family = AF_INET6;
    else
        return std::nullopt;
    if (prefix > (network.family == AF_INET ? 32 : 128))
        return std::nullopt;
    network.prefix = prefix;
    return network;
}

// Whether the IP address `host` (text) is inside `network`.
bool contains(const Network& network, const std::string& host) {
    unsigned char address[16] = {};
    if (::inet_pton(network.family, host.c_str(), address) != 1)
        return false;
    int whole = network.prefix / 8;
    if (std::memcmp(address, network.address, static_cast<size_t>(whole)) != 0)
        return false;
    int rest = network.prefix % 8;
    if (rest == 0)
        return true;
    unsigned mask = (0xffu << (8 - rest)) & 0xffu;
    return (address[whole] & mask) == (network.address[whole] & mask);
}

// "10.20.0.0/16" for 10.20.3.4/16: the address with the bits past the prefix cleared.
std::string network_text(const Network& network) {
    unsigned char address[16] = {};
    int whole = network.prefix / 8;
    std::memcpy(address, network.address, static_cast<size_t>(whole));
    if (int rest = network.prefix % 8; rest != 0)
        address[whole] = network.address[whole] & ((0xffu << (8 - rest)) & 0xffu);
    char text[INET6_ADDRSTRLEN] = {};
    if (!::inet_ntop(network.family, address, text, sizeof text))
        return "";
    return std::string(text) + "/" + std::to_string(network.prefix);
}

}  // namespace

std::string registry_host(std::string_view domain) {
    if (domain.starts_with("[")) {
        size_t end = domain.find(']');
        return std::string(domain.substr(1, end == std::string_view::npos ? end : end - 1));
    }
    size_t colon = domain.rfind(':');
    return std::string(colon == std::string_view::npos ? domain : domain.substr(0, colon));
}

ErrorOr<void> check_insecure_registry(std::string_view entry) {
    auto refuse = [&](const char* why) {
        return Error::invalid("insecure registry `" + std::string(entry) + "`: " + why);
    };
    if (entry.empty())
        return refuse("empty");
    if (entry.find("://") != std::string_view::npos)
        return refuse("give HOST[:PORT] or a CIDR range, without a scheme");
    for (unsigned char c : entry) {
        if (c <= ' ' || c >= 0x7f)
            return refuse("contains a space or a control character");
    }
    if (entry.find('/') != std::string_view::npos && !parse_cidr(entry))
        return refuse("give HOST[:PORT] or a CIDR range (10.0.0.0/8), without a path");
    return {};
}

std::vector<std::string> resolve_host_addresses(const std::string& host) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (host.empty() || ::getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0)
        return {};
    std::vector<std::string> addresses;
    for (addrinfo* at = found; at; at = at->ai_next) {
        char text[INET6_ADDRSTRLEN] = {};
        const void* address = nullptr;
        if (at->ai_family == AF_INET)
            address = &reinterpret_cast<sockaddr_in*>(at->ai_addr)->sin_addr;
        else if (at->ai_family == AF_INET6)
            address = &reinterpret_cast<sockaddr_in6*>(at->ai_addr)->sin6_addr;
        if (address && ::inet_ntop(at->ai_family, address, text, sizeof text))
            addresses.emplace_back(text);
    }
    ::freeaddrinfo(found);
    return addresses;
}

bool is_insecure_registry(std::string_view domain, const std::vector<std::string>& entries,
                          const HostResolver& resolve) {
    std::vector<Network> ranges;
    for (const auto& entry : entries) {
        if (entry == domain)
            return true;
        if (auto network = parse_cidr(entry))
            ranges.push_back(*network);
    }
    if (ranges.empty())
        return false;
    std::string host = registry_host(domain);
    unsigned char literal[16] = {};
    bool is_address = ::inet_pton(AF_INET, host.c_str(), literal) == 1 ||
                      ::inet_pton(AF_INET6, host.c_str(), literal) == 1;
    std::vector<std::string> addresses;
    if (is_address)
        addresses.push_back(host);
    else if (resolve)
        addresses = resolve(host);
    for (const auto& address : addresses) {
        for (const auto& network : ranges) {
            if (contains(network, address))
                return true;
        }
    }
    return false;
}

InsecureRegistryList list_insecure_registries(const std::vector<std::string>& entries) {
    InsecureRegistryList list;
    auto add = [](std::vector<std::string>& to, std::string entry) {
        if (std::find(to.begin(), to.end(), entry) == to.end())
            to.push_back(std::move(entry));
    };
    for (const auto& entry : entries) {
        if (auto network = parse_cidr(entry)) {
            if (std::string text = network_text(*network); !text.empty())
                add(list.ranges, std::move(text));
        } else {
            add(list.names, entry);
        }
    }
    return list;
}

}  // namespace corral::image
