#include "compose/container.h"

#include <gtest/gtest.h>

#include "compose/runner.h"
#include "config/yaml.h"

namespace corral::compose {
namespace {

Service parse(const std::string& yaml, const Environment& environment = default_environment()) {
    auto services = parse_service_file(yaml, "test.yml", environment);
    EXPECT_TRUE(services) << services.error().message();
    EXPECT_EQ(services->size(), 1u);
    return services->front();
}

const char* const base = R"(svc:
  image: ${REGISTRY_DOMAIN}/library/busybox:1
  command: sleep 1000
  labels:
    io.rancher.os.scope: system
  volumes:
    - /media:/media:shared
    - data:/data:ro
    - /anon
  tmpfs:
    - /run/x:size=1m
  restart: on-failure:3
  log_opt:
    max-size: 1m
    max-file: "2"
  net: host
)";

TEST(ContainerRequest, HashLabelIsSetAndStable) {
    Service service = parse(base);
    auto request = container_request(service);
    const std::string& hash = request.config.labels.at(std::string(hash_label));
    EXPECT_TRUE(hash.starts_with("sha256:")) << hash;
    EXPECT_EQ(hash, definition_hash(service.request));
    // Stamping again (the label present) gives the same hash: the label is not hashed.
    EXPECT_EQ(definition_hash(request), hash);
    EXPECT_EQ(container_request(parse(base)).config.labels.at(std::string(hash_label)), hash);
}

TEST(ContainerRequest, HashFollowsTheDefinitionAndTheEnvironment) {
    std::string hash = definition_hash(parse(base).request);
    std::string changed = base;
    changed.replace(changed.find("sleep 1000"), 10, "sleep 2000");
    EXPECT_NE(definition_hash(parse(changed).request), hash);
    Environment environment = default_environment();
    environment["REGISTRY_DOMAIN"] = "registry.local:5000";
    Service mirrored = parse(base, environment);
    EXPECT_EQ(mirrored.request.config.image, "registry.local:5000/library/busybox:1");
    EXPECT_NE(definition_hash(mirrored.request), hash);
}

TEST(CreateBody, CarriesTheRequestInDockerShape) {
    auto body = create_body(container_request(parse(base)));
    EXPECT_EQ(body["Image"], "docker.io/library/busybox:1");
    EXPECT_EQ(body["Cmd"], nlohmann::ordered_json::array({"sleep", "1000"}));
    EXPECT_FALSE(body.contains("Entrypoint"));  // unset: the image's
    EXPECT_EQ(body["Labels"]["io.rancher.os.scope"], "system");
    EXPECT_EQ(body["Labels"]["com.docker.compose.service"], "svc");
    const auto& host = body["HostConfig"];
    EXPECT_EQ(host["NetworkMode"], "host");
    ASSERT_EQ(host["Mounts"].size(), 3u);
    EXPECT_EQ(host["Mounts"][0]["Type"], "bind");
    EXPECT_EQ(host["Mounts"][0]["BindOptions"]["Propagation"], "shared");
    EXPECT_EQ(host["Mounts"][1]["Type"], "volume");
    EXPECT_EQ(host["Mounts"][1]["Source"], "data");
    EXPECT_EQ(host["Mounts"][1]["ReadOnly"], true);
    EXPECT_EQ(host["Mounts"][2]["Source"], "");
    EXPECT_EQ(host["Tmpfs"]["/run/x"], "size=1m");
    EXPECT_EQ(host["RestartPolicy"]["Name"], "on-failure");
    EXPECT_EQ(host["RestartPolicy"]["MaximumRetryCount"], 3);
    EXPECT_EQ(host["LogConfig"]["Config"]["max-size"], "1048576");
    EXPECT_EQ(host["LogConfig"]["Config"]["max-file"], "2");
    EXPECT_FALSE(host.contains("Init"));
}

TEST(WithDependencies, PullsInWhatTheNamedNeedInStartOrder) {
    auto services = parse_service_file(R"(volumes:
  image: busybox
  labels: {io.rancher.os.createonly: "true"}
first:
  image: busybox
app:
  image: busybox
  volumes_from: [volumes]
  labels: {io.rancher.os.after: "first,not-configured"}
other:
  image: busybox
)",
                                       "deps.yml", default_environment());
    ASSERT_TRUE(services);
    auto selected = with_dependencies(*services, {"app"});
    ASSERT_TRUE(selected) << selected.error().message();
    std::vector<std::string> names;
    for (const auto* service : *selected)
        names.push_back(service->name);
    EXPECT_EQ(names, (std::vector<std::string>{"volumes", "first", "app"}));
    auto unknown = with_dependencies(*services, {"nope"});
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().kind(), ErrorKind::not_found);
    EXPECT_NE(unknown.error().message().find("nope"), std::string::npos);
}

}  // namespace
}  // namespace corral::compose
