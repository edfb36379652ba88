// Which registries are insecure (dockerd's --insecure-registry): a HOST[:PORT] entry names
// one registry exactly as image names spell it; a CIDR entry covers every registry whose host
// is an IP address inside the range (names are not resolved for it).
#include <arpa/inet.h>

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

// The host of "host:port", "[v6]:port", "host".
std::string host_of(std::string_view domain) {
    if (domain.starts_with("[")) {
        size_t end = domain.find(']');
        return std::string(domain.substr(1, end == std::string_view::npos ? end : end - 1));
    }
    size_t colon = domain.rfind(':');
    return std::string(colon == std::string_view::npos ? domain : domain.substr(0, colon));
}

bool contains(const Network& network, std::string_view domain) {
    unsigned char address[16] = {};
    std::string host = host_of(domain);
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

bool is_insecure_registry(std::string_view domain, const std::vector<std::string>& entries) {
    for (const auto& entry : entries) {
        if (entry == domain)
            return true;
        if (auto network = parse_cidr(entry); network && contains(*network, domain))
            return true;
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
