// The create body `ros service` sends is read back by the engine's own API parser into the very
// request init hands the engine directly: one spec, two paths.
#include <gtest/gtest.h>

#include "api/create_body.h"
#include "base/fs.h"
#include "cli/ros_services.h"
#include "compose/container.h"
#include "config/yaml.h"

namespace corral {
namespace {

compose::Service parse(const std::string& yaml) {
    auto services = compose::parse_service_file(yaml, "t.yml", compose::default_environment());
    EXPECT_TRUE(services) << services.error().message();
    return services->front();
}

void expect_same(const engine::CreateRequest& a, const engine::CreateRequest& b) {
    // Every field that matters, compared through the canonical body and the name.
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(compose::create_body(a).dump(2), compose::create_body(b).dump(2));
    ASSERT_EQ(a.host_config.mounts.size(), b.host_config.mounts.size());
    for (size_t i = 0; i < a.host_config.mounts.size(); ++i) {
        const auto& x = a.host_config.mounts[i];
        const auto& y = b.host_config.mounts[i];
        EXPECT_EQ(x.type, y.type) << i;
        EXPECT_EQ(x.source, y.source) << i;
        EXPECT_EQ(x.target, y.target) << i;
        EXPECT_EQ(x.read_only, y.read_only) << i;
        EXPECT_EQ(x.propagation, y.propagation) << i;
        EXPECT_EQ(x.options, y.options) << i;
        EXPECT_EQ(x.create_source, y.create_source) << i;
    }
    EXPECT_EQ(a.config.cmd, b.config.cmd);
    EXPECT_EQ(a.config.entrypoint, b.config.entrypoint);
    EXPECT_EQ(a.config.env, b.config.env);
    EXPECT_EQ(a.config.labels, b.config.labels);
    EXPECT_EQ(a.host_config.volumes_from, b.host_config.volumes_from);
    EXPECT_EQ(a.host_config.restart_policy.name, b.host_config.restart_policy.name);
    EXPECT_EQ(a.host_config.restart_policy.maximum_retry_count,
              b.host_config.restart_policy.maximum_retry_count);
    EXPECT_EQ(a.host_config.log_config.max_size, b.host_config.log_config.max_size);
    EXPECT_EQ(a.host_config.log_config.max_file, b.host_config.log_config.max_file);
    EXPECT_EQ(a.host_config.init, b.host_config.init);
    EXPECT_EQ(a.config.stop_timeout, b.config.stop_timeout);
}

TEST(RosCreateBody, EngineParsesBackTheRequestInitUses) {
    compose::Service service = parse(R"(console:
  image: corral/os-console
  container_name: my-console
  entrypoint: ["/bin/sh", "-c"]
  command: "echo 'two words' && sleep 5"
  environment:
    - A=1
    - B=two words
  labels:
    io.rancher.os.scope: system
    io.rancher.os.after: network
  volumes:
    - /media:/media:shared
    - /home:/home
    - named:/data:ro
    - /anonymous
  tmpfs: ["/tmp:size=64m,mode=1777"]
  volumes_from: [all-volumes]
  devices: ["/dev/fuse:/dev/fuse:rw"]
  net: host
  pid: host
  ipc: host
  uts: host
  privileged: true
  restart: always
  cap_add: [SYS_ADMIN]
  dns: [1.1.1.1]
  extra_hosts: ["a:10.0.0.1"]
  sysctls: {net.core.somaxconn: "1024"}
  log_opt: {max-size: 25m, max-file: "2"}
  stop_grace_period: 20s
  init: true
  mem_limit: 64m
  user: root
  working_dir: /root
  hostname: box
  tty: true
  stdin_open: true
)");
    engine::CreateRequest request = compose::container_request(service);
    auto parsed = api::parse_create_body(compose::create_body(request).dump(), request.name);
    ASSERT_TRUE(parsed) << parsed.error().message();
    expect_same(request, *parsed);
}

TEST(RosCreateBody, EveryBuiltInServiceRoundTrips) {
    auto text = fs::read_file(std::string(CORRAL_SOURCE_DIR) + "/os/os-config.yml");
    ASSERT_TRUE(text);
    auto document = config::parse_yaml(*text, "os-config.yml");
    ASSERT_TRUE(document);
    const config::Value* services = document->find("rancher")->find("services");
    ASSERT_TRUE(services);
    auto parsed = compose::parse_services(*services, compose::default_environment());
    ASSERT_TRUE(parsed) << parsed.error().message();
    ASSERT_GT(parsed->size(), 5u);
    for (const auto& service : *parsed) {
        SCOPED_TRACE(service.name);
        engine::CreateRequest request = compose::container_request(service);
        auto back = api::parse_create_body(compose::create_body(request).dump(), request.name);
        ASSERT_TRUE(back) << back.error().message();
        expect_same(request, *back);
    }
}

TEST(RosEngineHost, ScopesReadTheirSettings) {
    auto merged = config::parse_yaml(R"(rancher:
  system_docker:
    host: ["tcp://0.0.0.0:2375", "unix:///tmp/sd.sock"]
  docker:
    host: /run/user-docker.sock
)",
                                     "c.yml");
    ASSERT_TRUE(merged);
    EXPECT_EQ(cli::ros::engine_host(*merged, compose::Scope::system), "unix:///tmp/sd.sock");
    EXPECT_EQ(cli::ros::engine_host(*merged, compose::Scope::user), "unix:///run/user-docker.sock");
    EXPECT_EQ(cli::ros::engine_host(config::Value(), compose::Scope::system),
              "unix:///var/run/system-docker.sock");
    EXPECT_EQ(cli::ros::engine_host(config::Value(), compose::Scope::user),
              "unix:///var/run/docker.sock");
}

}  // namespace
}  // namespace corral
