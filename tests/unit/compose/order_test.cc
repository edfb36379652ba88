#include "compose/order.h"

#include <gtest/gtest.h>

#include "../config/samples.h"
#include "base/fs.h"
#include "config/layers.h"

namespace corral::compose {
namespace {

Service make(const std::string& name, std::vector<std::string> after = {},
             std::vector<std::string> before = {}) {
    Service service;
    service.name = name;
    service.after = std::move(after);
    service.before = std::move(before);
    return service;
}

size_t position(const std::vector<std::string>& order, const std::string& name) {
    return static_cast<size_t>(std::find(order.begin(), order.end(), name) - order.begin());
}

TEST(Order, AfterBeforeVolumesFromAndNetContainer) {
    std::vector<Service> services = {make("docker", {"console"}),
                                     make("console", {"network"}),
                                     make("network", {"udev"}),
                                     make("udev"),
                                     make("zfs", {"console"}, {"docker"}),
                                     make("data")};
    services[1].request.host_config.volumes_from = {"data:ro"};
    Service sidecar = make("sidecar");
    sidecar.request.host_config.network_mode = "container:docker";
    services.push_back(sidecar);
    auto order = start_order(services);
    ASSERT_TRUE(order) << order.error().message();
    ASSERT_EQ(order->size(), services.size());
    EXPECT_LT(position(*order, "network"), position(*order, "console"));
    EXPECT_LT(position(*order, "data"), position(*order, "console"));
    EXPECT_LT(position(*order, "console"), position(*order, "zfs"));
    EXPECT_LT(position(*order, "zfs"), position(*order, "docker"));
    EXPECT_LT(position(*order, "docker"), position(*order, "sidecar"));
}

TEST(Order, UnknownDependenciesAreIgnoredAndTiesKeepInputOrder) {
    auto order = start_order({make("b", {"nothing"}), make("a"), make("c")});
    ASSERT_TRUE(order);
    EXPECT_EQ(*order, (std::vector<std::string>{"b", "a", "c"}));
}

TEST(Order, CyclesAreReportedWithTheirMembers) {
    auto order = start_order({make("free"), make("a", {"c"}), make("b", {"a"}), make("c", {"b"})});
    ASSERT_FALSE(order);
    const std::string& message = order.error().message();
    EXPECT_EQ(message.rfind("dependency cycle: ", 0), 0u) << message;
    EXPECT_NE(message.find("a → b → c → a"), std::string::npos) << message;
    auto self_before = start_order({make("x", {"y"}), make("y", {}, {"x"}), make("z", {}, {"y"})});
    EXPECT_TRUE(self_before);
    auto two = start_order({make("x", {}, {"y"}), make("y", {}, {"z"}), make("z", {}, {"x"})});
    ASSERT_FALSE(two);
    EXPECT_NE(two.error().message().find("x → y → z → x"), std::string::npos)
        << two.error().message();
}

TEST(Order, DuplicateNamesAreErrors) {
    EXPECT_FALSE(start_order({make("a"), make("a")}));
}

TEST(Order, OurOsConfigServicesOrder) {
    auto document = config::read_cloud_config(std::string(CORRAL_SOURCE_DIR) + "/os/os-config.yml");
    ASSERT_TRUE(document);
    const config::Value* services = document->value.find("rancher")->find("services");
    ASSERT_TRUE(services);
    auto parsed = parse_services(*services, default_environment());
    ASSERT_TRUE(parsed) << parsed.error().message();
    for (const auto& service : *parsed)
        EXPECT_TRUE(service.warnings.empty()) << service.name << ": " << service.warnings[0];
    auto order = start_order(*parsed);
    ASSERT_TRUE(order) << order.error().message();
    EXPECT_LT(position(*order, "udev"), position(*order, "udev-cold"));
    EXPECT_LT(position(*order, "network"), position(*order, "cloud-init"));
    EXPECT_LT(position(*order, "cloud-init"), position(*order, "console"));
    EXPECT_LT(position(*order, "all-volumes"), position(*order, "console"));
    EXPECT_LT(position(*order, "cloud-init"), position(*order, "docker"));
    for (const auto& service : *parsed) {
        EXPECT_EQ(service.scope, Scope::system) << service.name;
        EXPECT_EQ(service.request.config.image.rfind("corral/os-", 0), 0u) << service.name;
    }
}

}  // namespace
}  // namespace corral::compose
