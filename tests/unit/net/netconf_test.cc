#include "net/netconf.h"

#include <gtest/gtest.h>

namespace corral::net {
namespace {

TEST(InterfaceMatch, NamesGlobsAndMacs) {
    EXPECT_TRUE(interface_matches("eth0", "", "eth0", "52:54:00:12:34:56"));
    EXPECT_FALSE(interface_matches("eth0", "", "eth1", ""));
    EXPECT_TRUE(interface_matches("eth*", "", "eth1", ""));
    EXPECT_FALSE(interface_matches("eth*", "", "wlan0", ""));
    EXPECT_TRUE(interface_matches("mac=52:54:00:12:34:56", "", "ens3", "52:54:00:12:34:56"));
    EXPECT_TRUE(interface_matches("mac=52:54:00:AB:34:56", "", "ens3", "52:54:00:ab:34:56"));
    EXPECT_FALSE(interface_matches("mac=52:54:00:12:34:57", "", "ens3", "52:54:00:12:34:56"));
    // `match` replaces the key.
    EXPECT_TRUE(interface_matches("public", "ens*", "ens3", ""));
    EXPECT_FALSE(interface_matches("ens3", "eth*", "ens3", ""));
}

TEST(Netmask, Prefixes) {
    EXPECT_EQ(*prefix_from_netmask("255.255.255.0"), 24);
    EXPECT_EQ(*prefix_from_netmask("255.255.240.0"), 20);
    EXPECT_EQ(*prefix_from_netmask("0.0.0.0"), 0);
    EXPECT_EQ(*prefix_from_netmask("255.255.255.255"), 32);
    auto holes = prefix_from_netmask("255.0.255.0");
    ASSERT_FALSE(holes);
    EXPECT_NE(holes.error().message().find("not contiguous"), std::string::npos);
    EXPECT_FALSE(prefix_from_netmask("nonsense"));
}

TEST(Lease, FromUdhcpcEnvironment) {
    auto lease = lease_from_environment({{"interface", "eth0"},
                                         {"ip", "10.0.2.15"},
                                         {"subnet", "255.255.255.0"},
                                         {"router", "10.0.2.2 10.0.2.1"},
                                         {"dns", "10.0.2.3  10.0.2.4"},
                                         {"domain", "example.test"},
                                         {"mtu", "1400"}});
    ASSERT_TRUE(lease) << lease.error().message();
    EXPECT_EQ(lease->interface, "eth0");
    EXPECT_EQ(lease->address, "10.0.2.15");
    EXPECT_EQ(lease->prefix, 24);
    EXPECT_EQ(lease->routers, (std::vector<std::string>{"10.0.2.2", "10.0.2.1"}));
    EXPECT_EQ(lease->dns, (std::vector<std::string>{"10.0.2.3", "10.0.2.4"}));
    EXPECT_EQ(lease->domain, "example.test");
    EXPECT_EQ(lease->mtu, 1400);
}

TEST(Lease, MissingOrBadFieldsAreNamed) {
    auto no_ip = lease_from_environment({{"interface", "eth0"}});
    ASSERT_FALSE(no_ip);
    EXPECT_NE(no_ip.error().message().find("without `ip`"), std::string::npos);
    auto no_interface = lease_from_environment({{"ip", "10.0.0.2"}});
    ASSERT_FALSE(no_interface);
    EXPECT_NE(no_interface.error().message().find("interface"), std::string::npos);
    auto bad_mask = lease_from_environment(
        {{"interface", "eth0"}, {"ip", "10.0.0.2"}, {"subnet", "255.0.255.0"}});
    ASSERT_FALSE(bad_mask);
    EXPECT_NE(bad_mask.error().message().find("eth0"), std::string::npos);
    auto bad_mtu =
        lease_from_environment({{"interface", "eth0"}, {"ip", "10.0.0.2"}, {"mtu", "big"}});
    ASSERT_FALSE(bad_mtu);
    EXPECT_NE(bad_mtu.error().message().find("mtu"), std::string::npos);
}

TEST(ResolvConf, RendersDeduplicatedAndLimited) {
    ResolvConf conf;
    conf.nameservers = {"1.1.1.1", "8.8.8.8", "1.1.1.1", "9.9.9.9", "8.8.4.4"};
    conf.search = {"a.test", "b.test", "a.test"};
    conf.domain = "a.test";
    EXPECT_EQ(render_resolv_conf(conf),
              "# written by ros netconf\n"
              "domain a.test\n"
              "search a.test b.test\n"
              "nameserver 1.1.1.1\n"
              "nameserver 8.8.8.8\n"
              "nameserver 9.9.9.9\n");
    EXPECT_EQ(render_resolv_conf({}), "# written by ros netconf\n");
}

TEST(Vlans, IdsAndNames) {
    auto vlans = parse_vlans("100, 200:internal", "eth1");
    ASSERT_TRUE(vlans) << vlans.error().message();
    ASSERT_EQ(vlans->size(), 2u);
    EXPECT_EQ((*vlans)[0].id, 100);
    EXPECT_EQ((*vlans)[0].name, "eth1.100");
    EXPECT_EQ((*vlans)[1].id, 200);
    EXPECT_EQ((*vlans)[1].name, "internal");
    EXPECT_TRUE(parse_vlans("", "eth0")->empty());
    auto range = parse_vlans("5000", "eth0");
    ASSERT_FALSE(range);
    EXPECT_NE(range.error().message().find("5000"), std::string::npos);
    EXPECT_FALSE(parse_vlans("x", "eth0"));
    EXPECT_FALSE(parse_vlans("10:averyveryverylongname", "eth0"));
}

TEST(Words, SplitsOnBlanks) {
    EXPECT_EQ(split_words("  a b\tc  "), (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_TRUE(split_words("").empty());
}

}  // namespace
}  // namespace corral::net
