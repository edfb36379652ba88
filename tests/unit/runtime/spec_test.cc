// config.json generation, checked on the JSON crun reads.
#include <nlohmann/json.hpp>

#include "runtime/capabilities.h"
#include "runtime/spec_parts.h"
#include "support.h"

namespace corral::runtime::testing {
namespace {

BundleRequest base_request() {
    BundleRequest request;
    request.id = "spec-test";
    request.container_dir = "/var/lib/test/containers/spec-test";
    request.exec_root_dir = "/run/test/spec-test";
    request.path = "/bin/sh";
    request.args = {"-c", "true"};
    request.env = {"PATH=/bin"};
    request.config.hostname = "box";
    return request;
}

nlohmann::json generate(const BundleRequest& request, const RuntimeOptions& options,
                        Warnings* warnings = nullptr) {
    auto generated = generate_spec(request, options, world().layer);
    EXPECT_TRUE(generated) << generated.error().message();
    if (!generated)
        return {};
    if (warnings)
        *warnings = generated->warnings;
    return nlohmann::json::parse(generated->json);
}

std::map<std::string, std::string> namespaces_of(const nlohmann::json& spec) {
    std::map<std::string, std::string> result;
    for (const auto& entry : spec["linux"]["namespaces"])
        result[entry["type"]] = entry.value("path", "");
    return result;
}

const nlohmann::json* find_mount(const nlohmann::json& spec, const std::string& destination) {
    for (const auto& mount : spec["mounts"])
        if (mount["destination"] == destination)
            return &mount;
    return nullptr;
}

bool has_option(const nlohmann::json& mount, const std::string& option) {
    for (const auto& entry : mount["options"])
        if (entry == option)
            return true;
    return false;
}

TEST(Spec, ProcessDefaults) {
    SKIP_UNLESS_WORLD();
    auto spec = generate(base_request(), world().options);
    EXPECT_EQ(spec["process"]["args"], (nlohmann::json{"/bin/sh", "-c", "true"}));
    EXPECT_EQ(spec["process"]["cwd"], "/");
    EXPECT_EQ(spec["process"]["terminal"], false);
    EXPECT_EQ(spec["process"]["noNewPrivileges"], false);
    EXPECT_EQ(spec["process"]["user"]["uid"], 0);
    EXPECT_EQ(spec["process"]["env"], (nlohmann::json{"PATH=/bin", "HOME=/root"}));
    EXPECT_EQ(spec["hostname"], "box");
    EXPECT_EQ(spec["root"]["path"], world().layer);  // the rootfs given, absolute
    EXPECT_EQ(spec["root"]["readonly"], false);
    EXPECT_EQ(spec["linux"]["cgroupsPath"], world().options.cgroup_parent + "/spec-test");
    EXPECT_FALSE(spec["linux"].contains("seccomp"));
    EXPECT_FALSE(spec["process"].contains("rlimits"));
    EXPECT_EQ(spec["linux"]["rootfsPropagation"], "rprivate");

    // A parent named without its leading slash still means a path from the cgroup2 root.
    auto options = world().options;
    options.cgroup_parent = "system-docker";
    EXPECT_EQ(generate(base_request(), options)["linux"]["cgroupsPath"],
              "/system-docker/spec-test");
}

TEST(Spec, PlainPersonalityWhenCrunRunsAtFixedAddresses) {
    SKIP_UNLESS_WORLD();
    EXPECT_FALSE(generate(base_request(), world().options)["linux"].contains("personality"));
    auto options = world().options;
    options.crun_fixed_addresses = true;
    EXPECT_EQ(generate(base_request(), options)["linux"]["personality"],
              (nlohmann::json{{"domain", "LINUX"}}));
}

TEST(Spec, SeccompProfileOrCompiledProgram) {
    SKIP_UNLESS_WORLD();
    auto request = base_request();
    request.seccomp_profile = R"({"defaultAction":"SCMP_ACT_ALLOW"})";
    auto spec = generate(request, world().options);
    EXPECT_EQ(spec["linux"]["seccomp"]["defaultAction"], "SCMP_ACT_ALLOW");
    EXPECT_FALSE(spec.contains("annotations"));

    // A compiled program goes to crun as base64 in the annotation, the profile stays out.
    request.seccomp_program = std::string("\x06\x00\x00\x00\x00\x00\xff\x7f", 8);
    spec = generate(request, world().options);
    EXPECT_FALSE(spec["linux"].contains("seccomp"));
    EXPECT_EQ(spec["annotations"]["run.oci.seccomp_bpf_data"], "BgAAAAAA/38=");

    request.seccomp_program = "odd";
    EXPECT_FALSE(generate_spec(request, world().options, world().layer));
}

TEST(Spec, DefaultNamespacesAreAllNew) {
    SKIP_UNLESS_WORLD();
    auto namespaces = namespaces_of(generate(base_request(), world().options));
    std::map<std::string, std::string> expected = {{"mount", ""}, {"cgroup", ""}, {"network", ""},
                                                   {"pid", ""},   {"ipc", ""},    {"uts", ""}};
    EXPECT_EQ(namespaces, expected);
}

TEST(Spec, OwnNetworkJoinsTheNamespaceTheEngineMadeAhead) {
    SKIP_UNLESS_WORLD();
    auto request = base_request();
    request.namespace_paths["network"] = "/proc/7/fd/9";
    auto namespaces = namespaces_of(generate(request, world().options));
    EXPECT_EQ(namespaces["network"], "/proc/7/fd/9");
    EXPECT_EQ(namespaces["pid"], "");
    request.host_config.network_mode = "none";
    EXPECT_EQ(namespaces_of(generate(request, world().options))["network"], "/proc/7/fd/9");
    // The host's network never takes a path.
    request.host_config.network_mode = "host";
    EXPECT_FALSE(namespaces_of(generate(request, world().options)).contains("network"));
}

TEST(Spec, HostAndContainerModes) {
    SKIP_UNLESS_WORLD();
    auto request = base_request();
    request.host_config.network_mode = "host";
    request.host_config.pid_mode = "container:other";
    request.host_config.ipc_mode = "host";
    request.host_config.uts_mode = "host";
    request.namespace_paths["pid"] = "/proc/42/ns/pid";
    auto spec = generate(request, world().options);
    auto namespaces = namespaces_of(spec);
    EXPECT_FALSE(namespaces.contains("network"));
    EXPECT_FALSE(namespaces.contains("ipc"));
    EXPECT_FALSE(namespaces.contains("uts"));
    EXPECT_EQ(namespaces["pid"], "/proc/42/ns/pid");
    EXPECT_FALSE(spec.contains("hostname"));
    const auto* shm = find_mount(spec, "/dev/shm");
    ASSERT_TRUE(shm);
    EXPECT_EQ((*shm)["type"], "bind");
    EXPECT_EQ((*shm)["source"], "/dev/shm");

    request.namespace_paths.clear();
    EXPECT_FALSE(generate_spec(request, world().options, world().layer));
}

TEST(Spec, DefaultMountsLikeDocker) {
    SKIP_UNLESS_WORLD();
    auto request = base_request();
    request.host_config.shm_size = 128 << 20;
    auto spec = generate(request, world().options);
    for (const char* destination :
         {"/proc", "/dev", "/dev/pts", "/sys", "/sys/fs/cgroup", "/dev/mqueue", "/dev/shm",
          "/etc/hostname", "/etc/hosts", "/etc/resolv.conf"})
        EXPECT_TRUE(find_mount(spec, destination)) << destination;
    EXPECT_TRUE(has_option(*find_mount(spec, "/sys"), "ro"));
    EXPECT_TRUE(has_option(*find_mount(spec, "/sys/fs/cgroup"), "ro"));
    EXPECT_TRUE(has_option(*find_mount(spec, "/dev/shm"), "size=134217728"));
    EXPECT_EQ((*find_mount(spec, "/etc/hosts"))["source"], "/run/test/spec-test/hosts");
    EXPECT_EQ(spec["linux"]["maskedPaths"].size(), masked_paths().size());
    EXPECT_NE(std::find(spec["linux"]["readonlyPaths"].begin(),
                        spec["linux"]["readonlyPaths"].end(), "/proc/sys"),
              spec["linux"]["readonlyPaths"].end());
}

TEST(Spec, BindsTmpfsAndVolumes) {
    SKIP_UNLESS_WORLD();
    auto request = base_request();
    using Type = engine::MountSpec::Type;
    request.host_config.mounts = {
        {Type::bind, "/srv/data", "/data", true, "rslave", ""},
        {Type::bind, "/srv/shared", "/shared", false, "rshared", ""},
        {Type::tmpfs, "", "/scratch", false, "", "size=64m,exec"},
        {Type::volume, "cache", "/cache", false, "", ""},
    };
    request.volume_dirs["cache"] = "/var/lib/test/volumes/cache/_data";
    auto spec = generate(request, world().options);
    const auto* data = find_mount(spec, "/data");
    ASSERT_TRUE(data);
    EXPECT_EQ((*data)["type"], "bind");
    EXPECT_EQ((*data)["source"], "/srv/data");
    EXPECT_TRUE(has_option(*data, "ro"));
    EXPECT_TRUE(has_option(*data, "rslave"));
    EXPECT_TRUE(has_option(*data, "rbind"));
    EXPECT_TRUE(has_option(*find_mount(spec, "/shared"), "rshared"));
    EXPECT_EQ(spec["linux"]["rootfsPropagation"], "rshared");
    const auto* scratch = find_mount(spec, "/scratch");
    ASSERT_TRUE(scratch);
    EXPECT_EQ((*scratch)["type"], "tmpfs");
    EXPECT_TRUE(has_option(*scratch, "size=64m"));
    EXPECT_FALSE(has_option(*scratch, "noexec"));
    EXPECT_EQ((*find_mount(spec, "/cache"))["source"], "/var/lib/test/volumes/cache/_data");

    request.host_config.mounts = {{Type::volume, "missing", "/x", false, "", ""}};
    auto missing = generate_spec(request, world().options, world().layer);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().kind(), ErrorKind::not_found);
    request.host_config.mounts = {{Type::bind, "/a", "/b", false, "sideways", ""}};
    EXPECT_FALSE(generate_spec(request, world().options, world().layer));
}

std::vector<std::string> bounding(const nlohmann::json& spec) {
    return spec["process"]["capabilities"]["bounding"].get<std::vector<std::string>>();
}

TEST(Spec, DefaultCapabilitiesAndAddDrop) {
    SKIP_UNLESS_WORLD();
    auto request = base_request();
    auto caps = bounding(generate(request, world().options));
    EXPECT_EQ(caps.size(), 14u);
    EXPECT_NE(std::find(caps.begin(), caps.end(), "CAP_NET_RAW"), caps.end());
    EXPECT_EQ(std::find(caps.begin(), caps.end(), "CAP_SYS_ADMIN"), caps.end());

    request.host_config.cap_add = {"SYS_ADMIN", "cap_net_admin"};
    request.host_config.cap_drop = {"CAP_NET_RAW", "mknod"};
    caps = bounding(generate(request, world().options));
    EXPECT_EQ(caps.size(), 14u);
    EXPECT_NE(std::find(caps.begin(), caps.end(), "CAP_SYS_ADMIN"), caps.end());
    EXPECT_NE(std::find(caps.begin(), caps.end(), "CAP_NET_ADMIN"), caps.end());
    EXPECT_EQ(std::find(caps.begin(), caps.end(), "CAP_NET_RAW"), caps.end());
    EXPECT_EQ(std::find(caps.begin(), caps.end(), "CAP_MKNOD"), caps.end());

    request.host_config.cap_add = {"NET_ADMIN"};
    request.host_config.cap_drop = {"ALL"};
    auto spec = generate(request, world().options);
    EXPECT_EQ(bounding(spec), std::vector<std::string>{"CAP_NET_ADMIN"});
    EXPECT_EQ(spec["process"]["capabilities"]["effective"],
              spec["process"]["capabilities"]["bounding"]);
    EXPECT_TRUE(spec["process"]["capabilities"]["inheritable"].empty());

    request.host_config.cap_add = {"ALL"};
    request.host_config.cap_drop = {"SYS_ADMIN"};
    caps = bounding(generate(request, world().options));
    EXPECT_EQ(caps.size(), all_capabilities().size() - 1);

    request.host_config.cap_add = {"NOT_A_CAP"};
    auto bad = generate_spec(request, world().options, world().layer);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message(), "unknown capability: \"CAP_NOT_A_CAP\"");
}

TEST(Spec, PrivilegedGetsEverything) {
    SKIP_UNLESS_WORLD();
    auto request = base_request();
    request.host_config.privileged = true;
    auto spec = generate(request, world().options);
    EXPECT_EQ(bounding(spec).size(), all_capabilities().size());
    EXPECT_TRUE(spec["linux"]["maskedPaths"].empty());
    EXPECT_TRUE(spec["linux"]["readonlyPaths"].empty());
    EXPECT_FALSE(spec["linux"]["devices"].empty());
    EXPECT_TRUE(has_option(*find_mount(spec, "/sys"), "rw"));
}

TEST(Spec, PrivilegedWithTheHostsDevBoundGetsTheHostsDev) {
    SKIP_UNLESS_WORLD();
    auto request = base_request();
    request.host_config.privileged = true;
    engine::MountSpec host_dev;
    host_dev.type = engine::MountSpec::Type::bind;
    host_dev.source = "/dev";
    host_dev.target = "/host/dev";
    request.host_config.mounts = {host_dev};
    auto options = world().options;
    options.device_cgroup_rules = true;
    auto spec = generate(request, options);
    const auto* dev = find_mount(spec, "/dev");
    ASSERT_TRUE(dev);
    EXPECT_EQ((*dev)["type"], "bind");
    EXPECT_EQ((*dev)["source"], "/dev");
    EXPECT_TRUE(has_option(*dev, "rbind"));
    EXPECT_TRUE(has_option(*dev, "rprivate"));
    EXPECT_TRUE(spec["linux"]["devices"].empty());
    // Its own pts, shm and mqueue on top; every device allowed.
    EXPECT_EQ((*find_mount(spec, "/dev/pts"))["type"], "devpts");
    EXPECT_EQ((*find_mount(spec, "/dev/shm"))["type"], "tmpfs");
    EXPECT_EQ((*find_mount(spec, "/dev/mqueue"))["type"], "mqueue");
    ASSERT_EQ(spec["linux"]["resources"]["devices"].size(), 1u);
    EXPECT_EQ(spec["linux"]["resources"]["devices"][0]["allow"], true);

    // Not privileged, or a --device of its own: docker's tmpfs /dev with nodes.
    request.host_config.devices = {{"/dev/null", "/dev/mynull", "rw"}};
    spec = generate(request, options);
    EXPECT_EQ((*find_mount(spec, "/dev"))["type"], "tmpfs");
    EXPECT_FALSE(spec["linux"]["devices"].empty());
    request.host_config.devices.clear();
    request.host_config.privileged = false;
    spec = generate(request, options);
    EXPECT_EQ((*find_mount(spec, "/dev"))["type"], "tmpfs");
}

TEST(Spec, DevicesAndDeviceRules) {
    SKIP_UNLESS_WORLD();
    auto request = base_request();
    request.host_config.devices = {{"/dev/null", "/dev/mynull", "rw"}};
    // Host mode: device nodes, but no cgroup rules at all.
    auto spec = generate(request, world().options);
    ASSERT_EQ(spec["linux"]["devices"].size(), 1u);
    EXPECT_EQ(spec["linux"]["devices"][0]["path"], "/dev/mynull");
    EXPECT_EQ(spec["linux"]["devices"][0]["type"], "c");
    EXPECT_EQ(spec["linux"]["devices"][0]["major"], 1);
    EXPECT_EQ(spec["linux"]["devices"][0]["minor"], 3);
    EXPECT_FALSE(spec["linux"]["resources"].contains("devices"));
    // With rules (the booted OS): deny all first, then the device's own rule.
    auto options = world().options;
    options.device_cgroup_rules = true;
    spec = generate(request, options);
    auto rules = spec["linux"]["resources"]["devices"];
    ASSERT_GT(rules.size(), 2u);
    EXPECT_EQ(rules[0]["allow"], false);
    EXPECT_EQ(rules[0]["access"], "rwm");
    EXPECT_EQ(rules.back()["allow"], true);
    EXPECT_EQ(rules.back()["access"], "rw");
    EXPECT_EQ(rules.back()["major"], 1);

    request.host_config.devices = {{"/no/such/device", "", "rwm"}};
    EXPECT_FALSE(generate_spec(request, world().options, world().layer));
}

// A fake cgroup tree decides which controllers exist.
class SpecResources : public ::testing::Test {
  protected:
    void SetUp() override {
        SKIP_UNLESS_WORLD();
        auto dir = fs::TempDir::create(world().root, "cgroup");
        ASSERT_TRUE(dir);
        cgroup_ = std::make_unique<fs::TempDir>(std::move(*dir));
        ASSERT_TRUE(fs::mkdir_p(cgroup_->path() + "/parent"));
        options_ = world().options;
        options_.cgroup_mount = cgroup_->path();
        options_.cgroup_parent = "/parent";
    }
    void controllers(const std::string& list) {
        ASSERT_TRUE(fs::write_file_atomic(cgroup_->path() + "/parent/cgroup.controllers", list));
    }
    std::unique_ptr<fs::TempDir> cgroup_;
    RuntimeOptions options_;
};

TEST_F(SpecResources, LimitsWhenControllersExist) {
    controllers("cpuset cpu io memory hugetlb pids\n");
    ASSERT_TRUE(fs::write_file_atomic(cgroup_->path() + "/parent/memory.swap.max", "max\n"));
    auto request = base_request();
    auto& resources = request.host_config.resources;
    resources.memory = 64 << 20;
    resources.nano_cpus = 1500000000;
    resources.cpu_shares = 512;
    resources.cpuset_cpus = "0";
    resources.pids_limit = 100;
    Warnings warnings;
    auto spec = generate(request, options_, &warnings);
    EXPECT_TRUE(warnings.empty());
    auto limits = spec["linux"]["resources"];
    EXPECT_EQ(limits["memory"]["limit"], 64 << 20);
    EXPECT_EQ(limits["memory"]["swap"], 128 << 20);
    EXPECT_EQ(limits["cpu"]["quota"], 150000);
    EXPECT_EQ(limits["cpu"]["period"], 100000);
    EXPECT_EQ(limits["cpu"]["cpus"], "0");
    EXPECT_EQ(limits["pids"]["limit"], 100);
    EXPECT_EQ(limits["unified"]["cpu.weight"], "20");
}

TEST_F(SpecResources, WarningsWhenControllersAreMissing) {
    controllers("hugetlb\n");
    auto request = base_request();
    auto& resources = request.host_config.resources;
    resources.memory = 64 << 20;
    resources.cpu_quota = 50000;
    resources.pids_limit = 10;
    Warnings warnings;
    auto spec = generate(request, options_, &warnings);
    ASSERT_EQ(warnings.size(), 3u);
    EXPECT_EQ(warnings[0],
              "Your kernel does not support memory limit capabilities or the cgroup is not "
              "mounted. Limitation discarded.");
    EXPECT_NE(warnings[1].find("CPU CFS scheduler"), std::string::npos);
    EXPECT_NE(warnings[2].find("PIDs limit"), std::string::npos);
    auto limits = spec["linux"]["resources"];
    EXPECT_FALSE(limits.contains("memory"));
    EXPECT_FALSE(limits.contains("cpu"));
    EXPECT_FALSE(limits.contains("pids"));
}

TEST(Spec, UserResolvedAgainstTheRootfs) {
    SKIP_UNLESS_WORLD();
    auto request = base_request();
    request.config.user = "app";
    request.host_config.group_add = {"daemon"};
    auto spec = generate(request, world().options);
    EXPECT_EQ(spec["process"]["user"]["uid"], 1000);
    EXPECT_EQ(spec["process"]["user"]["gid"], 1000);
    EXPECT_EQ(spec["process"]["user"]["additionalGids"], (nlohmann::json{1, 10, 29}));
    EXPECT_NE(
        std::find(spec["process"]["env"].begin(), spec["process"]["env"].end(), "HOME=/home/app"),
        spec["process"]["env"].end());

    request.config.user = "nobody-here";
    request.host_config.group_add.clear();
    auto missing = generate_spec(request, world().options, world().layer);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().message(),
              "unable to find user nobody-here: no matching entries in passwd file");
}

TEST(Spec, SysctlsReadOnlyRootTerminalWorkdir) {
    SKIP_UNLESS_WORLD();
    auto request = base_request();
    request.host_config.sysctls = {{"net.ipv4.ip_forward", "1"}};
    request.host_config.read_only_rootfs = true;
    request.config.tty = true;
    request.working_dir = "/tmp";
    auto spec = generate(request, world().options);
    EXPECT_EQ(spec["linux"]["sysctl"]["net.ipv4.ip_forward"], "1");
    EXPECT_EQ(spec["root"]["readonly"], true);
    EXPECT_EQ(spec["process"]["terminal"], true);
    EXPECT_EQ(spec["process"]["cwd"], "/tmp");
    EXPECT_TRUE(has_option(*find_mount(spec, "/etc/hosts"), "ro"));
    request.working_dir = "relative";
    EXPECT_FALSE(generate_spec(request, world().options, world().layer));
}

}  // namespace
}  // namespace corral::runtime::testing
