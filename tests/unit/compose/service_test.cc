#include "compose/service.h"

#include <gtest/gtest.h>

#include "../config/samples.h"
#include "base/fs.h"
#include "config/layers.h"
#include "config/yaml.h"

namespace corral::compose {
namespace {

using engine::MountSpec;
using engine::RestartPolicy;

Environment sample_environment() {
    Environment environment = default_environment();
    environment["HTTP_PROXY"] = "http://proxy:3128";
    environment["AWS_REGION"] = "eu-west-1";
    environment["AWS_KEY"] = "k";
    environment["VOLUME_NFS_OPTIONS"] = "--nfs-opt";
    return environment;
}

std::vector<Service> parse_sample(const std::string& name) {
    auto text = fs::read_file(testing::sample(name));
    EXPECT_TRUE(text) << name;
    if (!text)
        return {};
    auto services = parse_service_file(*text, name, sample_environment());
    EXPECT_TRUE(services) << services.error().message();
    return services ? *services : std::vector<Service>{};
}

bool has_env(const Service& service, const std::string& entry) {
    const auto& env = service.request.config.env;
    return std::find(env.begin(), env.end(), entry) != env.end();
}

TEST(ServiceSamples, ZfsIsASystemOneShotBeforeDocker) {
    auto services = parse_sample("z__zfs.yml");
    ASSERT_EQ(services.size(), 1u);
    const Service& zfs = services[0];
    EXPECT_EQ(zfs.name, "zfs");
    EXPECT_EQ(zfs.scope, Scope::system);
    EXPECT_FALSE(zfs.detach);
    EXPECT_EQ(zfs.before, std::vector<std::string>{"docker"});
    EXPECT_EQ(zfs.after, std::vector<std::string>{"console"});
    const auto& request = zfs.request;
    EXPECT_EQ(request.name, "zfs");
    EXPECT_EQ(request.config.image, "docker.io/rancher/os-zfs:v0.7.13-1");
    EXPECT_EQ(*request.config.cmd, std::vector<std::string>{"./build.sh"});
    EXPECT_TRUE(request.host_config.privileged);  // privileged: "true"
    EXPECT_EQ(request.host_config.network_mode, "host");
    EXPECT_EQ(request.host_config.pid_mode, "host");
    EXPECT_EQ(request.host_config.ipc_mode, "host");
    EXPECT_EQ(request.host_config.uts_mode, "host");
    EXPECT_EQ(request.host_config.volumes_from, std::vector<std::string>{"all-volumes"});
    ASSERT_EQ(request.host_config.mounts.size(), 1u);
    EXPECT_EQ(request.host_config.mounts[0].source, "/usr/src");
    EXPECT_EQ(request.host_config.mounts[0].type, MountSpec::Type::bind);
    EXPECT_TRUE(has_env(zfs, "HTTP_PROXY=http://proxy:3128"));
    EXPECT_EQ(request.config.env.size(), 1u);  // HTTPS_PROXY, NO_PROXY unset: dropped
    EXPECT_EQ(request.config.labels.at("io.rancher.os.scope"), "system");
    EXPECT_EQ(request.config.labels.at("com.docker.compose.service"), "zfs");
    auto dependencies = zfs.dependencies();
    EXPECT_EQ(dependencies, (std::vector<std::string>{"console", "all-volumes"}));
}

TEST(ServiceSamples, VolumeNfsGlobsEnvironmentAndSubstitutesCommand) {
    auto services = parse_sample("v__volume-nfs.yml");
    ASSERT_EQ(services.size(), 1u);
    const Service& nfs = services[0];
    EXPECT_EQ(nfs.request.config.image, "docker.io/rancher/os-volumenetshare");
    EXPECT_EQ(*nfs.request.config.cmd,
              (std::vector<std::string>{"nfs", "--verbose", "--basedir=/mnt", "--nfs-opt"}));
    EXPECT_TRUE(has_env(nfs, "AWS_REGION=eu-west-1"));
    EXPECT_TRUE(has_env(nfs, "AWS_KEY=k"));
    EXPECT_TRUE(has_env(nfs, "VOLUME_NFS_OPTIONS=--nfs-opt"));
    EXPECT_EQ(nfs.request.host_config.restart_policy.name, RestartPolicy::Name::always);
    EXPECT_TRUE(nfs.detach);
    ASSERT_EQ(nfs.request.host_config.mounts.size(), 2u);
    EXPECT_FALSE(nfs.request.host_config.mounts[0].read_only);
    EXPECT_EQ(nfs.request.host_config.mounts[1].propagation, "shared");
    EXPECT_EQ(nfs.after, std::vector<std::string>{"docker"});
}

TEST(ServiceSamples, Docker1903IsAnEngineService) {
    auto services = parse_sample("d__docker-19.03.11.yml");
    ASSERT_EQ(services.size(), 1u);
    const Service& docker = services[0];
    EXPECT_EQ(docker.name, "docker");
    EXPECT_EQ(docker.request.config.image, "docker.io/rancher/os-docker:19.03.11");
    EXPECT_EQ(*docker.request.config.cmd, (std::vector<std::string>{"ros", "user-docker"}));
    EXPECT_EQ(docker.scope, Scope::system);
    EXPECT_EQ(docker.after, std::vector<std::string>{"console"});
    ASSERT_EQ(docker.request.host_config.mounts.size(), 2u);
    EXPECT_EQ(docker.request.host_config.mounts[1].target, "/var/lib/system-docker");
    EXPECT_EQ(docker.request.host_config.mounts[1].propagation, "shared");
    EXPECT_TRUE(docker.request.host_config.privileged);
}

TEST(ServiceSamples, UbuntuIsAConsole) {
    auto services = parse_sample("u__ubuntu.yml");
    ASSERT_EQ(services.size(), 1u);
    const Service& console = services[0];
    EXPECT_EQ(console.name, "console");
    EXPECT_EQ(console.console, "ubuntu");
    EXPECT_EQ(console.rebuild, "false");
    EXPECT_EQ(console.request.config.image, "docker.io/rancher/os-ubuntuconsole:v1.5.5");
    EXPECT_EQ(console.after, std::vector<std::string>{"network"});
    EXPECT_EQ(console.request.host_config.mounts.size(), 2u);
}

TEST(ServiceSamples, SuffixAndRegistryComeFromTheEnvironment) {
    auto text = fs::read_file(testing::sample("z__zfs.yml"));
    ASSERT_TRUE(text);
    Environment environment = default_environment();
    environment["REGISTRY_DOMAIN"] = "registry.local:5000";
    environment["SUFFIX"] = "_arm64";
    auto services = parse_service_file(*text, "zfs.yml", environment);
    ASSERT_TRUE(services);
    EXPECT_EQ((*services)[0].request.config.image,
              "registry.local:5000/rancher/os-zfs:v0.7.13-1_arm64");
}

TEST(Service, EnvironmentFromRancherEnvironmentWithGlobs) {
    // tests__assets__test_11: `environment: [A, B*]` with rancher.environment A, BB, BC.
    auto document =
        config::read_cloud_config(testing::sample("tests__assets__test_11__cloud-config.yml"));
    ASSERT_TRUE(document);
    config::CloudConfig config = config::to_cloud_config(document->value);
    ASSERT_EQ(config.rancher.services.size(), 1u);
    auto service = parse_service(config.rancher.services[0].first,
                                 config.rancher.services[0].second, environment_for(config));
    ASSERT_TRUE(service) << service.error().message();
    EXPECT_EQ(service->request.config.env, (std::vector<std::string>{"A=A", "BB=BB", "BC=BC"}));
    EXPECT_EQ(service->before, std::vector<std::string>{"console"});
    EXPECT_EQ(service->request.config.image, "busybox");
}

config::Value yaml(const char* text) {
    auto value = config::parse_yaml(text, "test.yml");
    EXPECT_TRUE(value) << value.error().message();
    return value ? *value : config::Value();
}

TEST(Service, FullMapping) {
    auto service = parse_service("web", yaml(R"(
image: nginx:1.25
container_name: webserver
entrypoint: ["/bin/sh", "-c"]
command: 'echo "hello world" $$HOME'
environment: {A: "1", B: ~}
labels: ["io.rancher.os.createonly=true", "io.rancher.os.reloadconfig=yes", "plain"]
volumes: [/a:/b:ro, data:/data, /anonymous, "/c:/d:rslave,rw"]
tmpfs: [/run:size=64m, /tmp]
devices: [/dev/fuse, "/dev/sda:/dev/xvda:r"]
cap_add: [SYS_ADMIN]
cap_drop: [NET_RAW]
restart: on-failure:3
read_only: true
user: "1000:1000"
working_dir: /srv
hostname: web1
log_driver: json-file
log_opt: {max-size: 25m, max-file: "2"}
stop_signal: SIGINT
stop_grace_period: 30s
mem_limit: 512m
cpu_shares: 512
cpus: "1.5"
pids_limit: 100
shm_size: 128m
extra_hosts: ["db:10.0.0.2"]
dns: 1.1.1.1
sysctls: {net.core.somaxconn: "1024"}
net: container:proxy
links: [db]
ports: ["80:80"]
tty: true
)"),
                                 default_environment());
    ASSERT_TRUE(service) << service.error().message();
    const auto& config = service->request.config;
    const auto& host = service->request.host_config;
    EXPECT_EQ(service->request.name, "webserver");
    EXPECT_EQ(*config.entrypoint, (std::vector<std::string>{"/bin/sh", "-c"}));
    EXPECT_EQ(*config.cmd, (std::vector<std::string>{"echo", "hello world", "$HOME"}));
    EXPECT_EQ(config.env, std::vector<std::string>{"A=1"});
    EXPECT_TRUE(service->createonly);
    EXPECT_TRUE(service->reloadconfig);
    EXPECT_EQ(config.labels.at("plain"), "");
    ASSERT_EQ(host.mounts.size(), 6u);
    EXPECT_TRUE(host.mounts[0].read_only);
    EXPECT_EQ(host.mounts[1].type, MountSpec::Type::volume);
    EXPECT_EQ(host.mounts[1].source, "data");
    EXPECT_EQ(host.mounts[2].type, MountSpec::Type::volume);
    EXPECT_EQ(host.mounts[2].source, "");
    EXPECT_EQ(host.mounts[3].propagation, "rslave");
    EXPECT_EQ(host.mounts[4].type, MountSpec::Type::tmpfs);
    EXPECT_EQ(host.mounts[4].options, "size=64m");
    EXPECT_EQ(host.mounts[5].target, "/tmp");
    ASSERT_EQ(host.devices.size(), 2u);
    EXPECT_EQ(host.devices[0].container_path, "/dev/fuse");
    EXPECT_EQ(host.devices[1].container_path, "/dev/xvda");
    EXPECT_EQ(host.devices[1].permissions, "r");
    EXPECT_EQ(host.restart_policy.name, RestartPolicy::Name::on_failure);
    EXPECT_EQ(host.restart_policy.maximum_retry_count, 3);
    EXPECT_TRUE(host.read_only_rootfs);
    EXPECT_EQ(config.user, "1000:1000");
    EXPECT_EQ(config.working_dir, "/srv");
    EXPECT_EQ(config.hostname, "web1");
    EXPECT_EQ(host.log_config.max_size, 25u << 20);
    EXPECT_EQ(host.log_config.max_file, 2);
    EXPECT_EQ(config.stop_signal, "SIGINT");
    EXPECT_EQ(*config.stop_timeout, 30);
    EXPECT_EQ(host.resources.memory, 512 << 20);
    EXPECT_EQ(host.resources.cpu_shares, 512);
    EXPECT_EQ(host.resources.nano_cpus, 1500000000);
    EXPECT_EQ(host.resources.pids_limit, 100);
    EXPECT_EQ(host.shm_size, 128 << 20);
    EXPECT_EQ(host.extra_hosts, std::vector<std::string>{"db:10.0.0.2"});
    EXPECT_EQ(host.dns, std::vector<std::string>{"1.1.1.1"});
    EXPECT_EQ(host.sysctls.at("net.core.somaxconn"), "1024");
    EXPECT_EQ(host.network_mode, "container:proxy");
    EXPECT_TRUE(config.tty);
    EXPECT_EQ(service->scope, Scope::user);
    // links ignored with a warning; ports without host networking too.
    bool links_warned = false, ports_warned = false;
    for (const auto& warning : service->warnings) {
        links_warned |= warning.starts_with("links:");
        ports_warned |= warning.starts_with("ports:");
    }
    EXPECT_TRUE(links_warned);
    EXPECT_TRUE(ports_warned);
    EXPECT_EQ(service->dependencies(), std::vector<std::string>{"proxy"});
}

TEST(Service, BadDefinitionsAreErrorsNamingServiceAndKey) {
    auto expect_error = [](const char* text, const std::string& fragment) {
        auto service = parse_service("svc", yaml(text), default_environment());
        ASSERT_FALSE(service) << text;
        EXPECT_NE(service.error().message().find(fragment), std::string::npos)
            << service.error().message();
    };
    expect_error("command: x\n", "service svc: image: missing");
    expect_error("image: a\nrestart: sometimes\n", "service svc: restart: unknown policy");
    expect_error("image: a\nvolumes: [relative]\n", "absolute path");
    expect_error("image: a\nvolumes: [/a:/b:bogus]\n", "unknown option `bogus`");
    expect_error("image: a\nprivileged: perhaps\n", "svc.privileged: expected a boolean");
    expect_error("image: a\ncommand: \"'unterminated\"\n", "unterminated quote");
    expect_error("image: a\nnet: overlay\n", "service svc: net: unsupported mode");
    expect_error("image: ${UNCLOSED\n", "unclosed ${");
    expect_error("image: a\nmem_limit: lots\n", "mem_limit");
    expect_error("image: a\ndevices: [/dev/x:/dev/y:q]\n", "permissions");
}

TEST(Service, UnknownKeysAreWarningsWithTheirPath) {
    auto service = parse_service("svc", yaml("image: a\nimagee: b\n"), default_environment());
    ASSERT_TRUE(service);
    ASSERT_EQ(service->warnings.size(), 1u);
    EXPECT_EQ(service->warnings[0], "test.yml:2:1: svc.imagee: unknown key");
}

TEST(Words, ShellSplitting) {
    EXPECT_EQ(*split_command("a 'b c' \"d \\\"e\\\"\" f\\ g"),
              (std::vector<std::string>{"a", "b c", "d \"e\"", "f g"}));
    EXPECT_EQ(*split_command("  "), std::vector<std::string>{});
    EXPECT_EQ(*split_command("''"), std::vector<std::string>{""});
}

TEST(Words, Bytes) {
    EXPECT_EQ(*parse_bytes("25m"), 25 << 20);
    EXPECT_EQ(*parse_bytes("1G"), 1ll << 30);
    EXPECT_EQ(*parse_bytes("512"), 512);
    EXPECT_EQ(*parse_bytes("64MiB"), 64 << 20);
    EXPECT_FALSE(parse_bytes("m"));
    EXPECT_FALSE(parse_bytes("5x"));
    EXPECT_FALSE(parse_bytes("99999999999999999999t"));
}

}  // namespace
}  // namespace corral::compose
