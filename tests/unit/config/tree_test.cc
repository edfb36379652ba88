#include "config/tree.h"

#include <gtest/gtest.h>

#include "config/yaml.h"

namespace corral::config {
namespace {

Value yaml(const char* text) {
    auto value = parse_yaml(text);
    EXPECT_TRUE(value) << value.error().message();
    return value ? *value : Value();
}

TEST(Merge, MapsMergeDeeplyLaterWins) {
    Value left =
        yaml("rancher:\n  debug: false\n  network:\n    dns:\n      nameservers: [1.1.1.1]\n");
    Value right =
        yaml("rancher:\n  debug: true\n  network:\n    interfaces:\n      eth0: {dhcp: true}\n");
    Value merged = merge(left, right);
    EXPECT_EQ(lookup(merged, "rancher.debug")->text(), "true");
    EXPECT_EQ(lookup(merged, "rancher.network.dns.nameservers")->items().size(), 1u);
    EXPECT_EQ(lookup(merged, "rancher.network.interfaces.eth0.dhcp")->text(), "true");
}

TEST(Merge, ListsAreReplacedNotConcatenated) {
    Value left = yaml("ssh_authorized_keys: [a, b]\n");
    Value right = yaml("ssh_authorized_keys: [c]\n");
    Value merged = merge(left, right);
    ASSERT_EQ(merged.find("ssh_authorized_keys")->items().size(), 1u);
    EXPECT_EQ(merged.find("ssh_authorized_keys")->items()[0].text(), "c");
}

TEST(Merge, ScalarReplacesMapAndMapReplacesScalar) {
    EXPECT_EQ(lookup(merge(yaml("a: {b: 1}"), yaml("a: x")), "a")->text(), "x");
    EXPECT_TRUE(lookup(merge(yaml("a: x"), yaml("a: {b: 1}")), "a.b"));
}

TEST(Lookup, FindsKeysContainingDots) {
    Value value = yaml(
        "rancher:\n  sysctl:\n    net.ipv4.ip_forward: 1\n  network:\n    interfaces:\n"
        "      eth1.100:\n        bridge: br0\n");
    ASSERT_TRUE(lookup(value, "rancher.sysctl.net.ipv4.ip_forward"));
    EXPECT_EQ(lookup(value, "rancher.sysctl.net.ipv4.ip_forward")->text(), "1");
    ASSERT_TRUE(lookup(value, "rancher.network.interfaces.eth1.100.bridge"));
    EXPECT_EQ(lookup(value, "rancher.network.interfaces.eth1.100.bridge")->text(), "br0");
    EXPECT_FALSE(lookup(value, "rancher.nothing"));
}

TEST(Assign, CreatesMapsAndUsesTheSchemaForFreeFormKeys) {
    Value value;
    ASSERT_TRUE(assign(value, "rancher.network.dns.nameservers", parse_value_text("[8.8.8.8]")));
    ASSERT_TRUE(assign(value, "rancher.sysctl.net.ipv4.ip_forward", Value::integer(1)));
    ASSERT_TRUE(assign(value, "rancher.environment.A.B", Value::string("x")));
    EXPECT_EQ(lookup(value, "rancher.network.dns.nameservers")->items()[0].text(), "8.8.8.8");
    const Value* sysctl = lookup(value, "rancher.sysctl");
    ASSERT_TRUE(sysctl);
    ASSERT_TRUE(sysctl->find("net.ipv4.ip_forward"));
    EXPECT_TRUE(lookup(value, "rancher.environment")->find("A.B"));
}

TEST(Assign, RefusesToDescendIntoAScalar) {
    Value value = yaml("hostname: x\n");
    auto result = assign(value, "hostname.sub", Value::string("y"));
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message().find("`hostname` is \"x\""), std::string::npos);
}

TEST(ValueText, YamlTypedWithColonsKept) {
    EXPECT_EQ(parse_value_text("true").scalar_type(), ScalarType::boolean);
    EXPECT_EQ(parse_value_text("42").scalar_type(), ScalarType::integer);
    EXPECT_EQ(parse_value_text("abc").scalar_type(), ScalarType::string);
    Value list = parse_value_text("[url:http://x/y, b]");
    ASSERT_TRUE(list.is_sequence());
    ASSERT_EQ(list.items().size(), 2u);
    EXPECT_EQ(list.items()[0].text(), "url:http://x/y");
    EXPECT_EQ(parse_value_text("http://x:8080/a?b=c").text(), "http://x:8080/a?b=c");
    Value quoted = parse_value_text("\"a b\"");
    EXPECT_EQ(quoted.text(), "a b");
    EXPECT_TRUE(quoted.quoted());
    EXPECT_EQ(parse_value_text("{a: 1}").find("a")->text(), "1");
    // Not YAML at all: kept as the string it is.
    EXPECT_EQ(parse_value_text("[unclosed").text(), "[unclosed");
}

}  // namespace
}  // namespace corral::config
