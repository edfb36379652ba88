#include "api/create_body.h"

#include <gtest/gtest.h>

#include "base/fs.h"

namespace corral::api {
namespace {

using engine::MountSpec;
using engine::RestartPolicy;

std::string data_file(const std::string& name) {
    return fs::read_file(std::string(CORRAL_SOURCE_DIR) + "/tests/unit/api/data/" + name).value();
}

// Bodies captured from the stock CLIs (docker 28.2 and Debian's 20.10) with a socket listener.
class CapturedBody : public ::testing::TestWithParam<const char*> {};

TEST_P(CapturedBody, PlainRunParses) {
    auto request =
        parse_create_body(data_file(std::string("create_plain_") + GetParam() + ".json"), "")
            .value();
    EXPECT_EQ(request.config.image, "busybox");
    ASSERT_TRUE(request.config.cmd);
    EXPECT_EQ(*request.config.cmd, std::vector<std::string>{"true"});
    EXPECT_FALSE(request.config.entrypoint);
    EXPECT_FALSE(request.config.tty);
    EXPECT_TRUE(request.config.attach_stdout);
    EXPECT_EQ(request.host_config.network_mode, "default");
    EXPECT_EQ(request.host_config.restart_policy.name, RestartPolicy::Name::no);
    EXPECT_EQ(request.host_config.log_config.type, "json-file");
    EXPECT_TRUE(request.host_config.mounts.empty());
}

TEST_P(CapturedBody, InteractiveTtyParses) {
    auto request =
        parse_create_body(data_file(std::string("create_tty_") + GetParam() + ".json"), "").value();
    EXPECT_TRUE(request.config.tty);
    EXPECT_TRUE(request.config.open_stdin);
    EXPECT_TRUE(request.config.stdin_once);
    EXPECT_TRUE(request.config.attach_stdin);
    EXPECT_EQ(*request.config.cmd, std::vector<std::string>{"sh"});
}

TEST_P(CapturedBody, EveryOptionMaps) {
    auto request =
        parse_create_body(data_file(std::string("create_full_") + GetParam() + ".json"), "web")
            .value();
    const auto& config = request.config;
    const auto& host = request.host_config;
    EXPECT_EQ(request.name, "web");
    EXPECT_EQ(config.hostname, "myhost");
    EXPECT_EQ(config.user, "1000");
    EXPECT_EQ(config.env, std::vector<std::string>{"A=b"});
    EXPECT_EQ(*config.cmd, (std::vector<std::string>{"-c", "echo hi"}));
    EXPECT_EQ(*config.entrypoint, std::vector<std::string>{"/bin/sh"});
    EXPECT_EQ(config.working_dir, "/tmp");
    EXPECT_EQ(config.labels.at("k"), "v");
    EXPECT_EQ(config.stop_signal, "SIGINT");
    EXPECT_EQ(config.stop_timeout, 5);

    ASSERT_EQ(host.mounts.size(), 4u);
    EXPECT_EQ(host.mounts[0].type, MountSpec::Type::bind);
    EXPECT_EQ(host.mounts[0].source, "/tmp");
    EXPECT_EQ(host.mounts[0].target, "/data");
    EXPECT_TRUE(host.mounts[0].read_only);
    EXPECT_EQ(host.mounts[0].propagation, "rshared");
    EXPECT_TRUE(host.mounts[0].create_source);
    EXPECT_EQ(host.mounts[1].type, MountSpec::Type::bind);
    EXPECT_EQ(host.mounts[1].target, "/mnt");
    EXPECT_EQ(host.mounts[1].propagation, "rslave");
    EXPECT_FALSE(host.mounts[1].create_source);
    EXPECT_EQ(host.mounts[2].type, MountSpec::Type::tmpfs);
    EXPECT_EQ(host.mounts[2].target, "/t2");
    EXPECT_EQ(host.mounts[2].options, "size=1000");
    EXPECT_EQ(host.mounts[3].type, MountSpec::Type::tmpfs);
    EXPECT_EQ(host.mounts[3].target, "/run");
    EXPECT_EQ(host.mounts[3].options, "size=64m");

    EXPECT_EQ(host.volumes_from, std::vector<std::string>{"other:ro"});
    EXPECT_TRUE(host.read_only_rootfs);
    EXPECT_TRUE(host.privileged);
    ASSERT_EQ(host.cap_add.size(), 1u);
    EXPECT_NE(host.cap_add[0].find("SYS_ADMIN"), std::string::npos);
    ASSERT_EQ(host.devices.size(), 1u);
    EXPECT_EQ(host.devices[0].host_path, "/dev/null");
    EXPECT_EQ(host.devices[0].container_path, "/dev/xnull");
    EXPECT_EQ(host.devices[0].permissions, "rw");
    EXPECT_EQ(host.network_mode, "none");
    EXPECT_TRUE(host.auto_remove);
    EXPECT_EQ(host.resources.memory, 64 << 20);
    EXPECT_EQ(host.resources.memory_swap, 128 << 20);
    EXPECT_EQ(host.resources.nano_cpus, 1500000000);
    EXPECT_EQ(host.resources.cpu_shares, 512);
    EXPECT_EQ(host.resources.cpuset_cpus, "0");
    EXPECT_EQ(host.resources.pids_limit, 100);
    EXPECT_EQ(host.log_config.max_size, 1u << 20);
    EXPECT_EQ(host.log_config.max_file, 3);
    EXPECT_EQ(host.sysctls.at("net.ipv4.ip_forward"), "1");
    EXPECT_EQ(host.extra_hosts, std::vector<std::string>{"foo:1.2.3.4"});
    EXPECT_EQ(host.dns, std::vector<std::string>{"8.8.8.8"});
    EXPECT_EQ(host.dns_search, std::vector<std::string>{"example.com"});
    EXPECT_EQ(host.group_add, std::vector<std::string>{"10"});
    EXPECT_EQ(host.shm_size, 128 << 20);
    EXPECT_TRUE(host.init);
}

INSTANTIATE_TEST_SUITE_P(Clients, CapturedBody, ::testing::Values("cli28", "cli20"));

TEST(CreateBody, MalformedJsonIsInvalid) {
    auto result = parse_create_body("{\"Image\": ", "");
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().kind(), ErrorKind::invalid_argument);
    EXPECT_NE(result.error().message().find("malformed JSON"), std::string::npos);
    EXPECT_TRUE(parse_create_body("", "").is_error());
    EXPECT_TRUE(parse_create_body("[]", "").is_error());
}

TEST(CreateBody, UnknownFieldIsNamed) {
    auto result = parse_create_body(R"({"Image":"busybox","HostConfig":{"Frobnicate":1}})", "");
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().message(), "unknown field HostConfig.Frobnicate");
    auto top = parse_create_body(R"({"Image":"busybox","Bogus":null})", "");
    ASSERT_TRUE(top.is_error());
    EXPECT_EQ(top.error().message(), "unknown field Bogus");
}

TEST(CreateBody, UnsupportedFeatureIsRefusedOnlyWhenUsed) {
    EXPECT_FALSE(
        parse_create_body(R"({"Image":"b","HostConfig":{"PortBindings":{}}})", "").is_error());
    auto result = parse_create_body(
        R"({"Image":"b","HostConfig":{"PortBindings":{"80/tcp":[{"HostPort":"8080"}]}}})", "");
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().kind(), ErrorKind::invalid_argument);
    EXPECT_NE(result.error().message().find("HostConfig.PortBindings is not supported"),
              std::string::npos);
}

TEST(CreateBody, WrongTypeNamesField) {
    auto result = parse_create_body(R"({"Image":"b","HostConfig":{"Memory":"lots"}})", "");
    ASSERT_TRUE(result.is_error());
    EXPECT_NE(result.error().message().find("HostConfig.Memory"), std::string::npos);
}

TEST(CreateBody, RequiresImage) {
    EXPECT_TRUE(parse_create_body(R"({"Cmd":["true"]})", "").is_error());
}

TEST(CreateBody, CustomNetworksAreRefused) {
    auto result = parse_create_body(R"({"Image":"b","HostConfig":{"NetworkMode":"mynet"}})", "");
    ASSERT_TRUE(result.is_error());
    EXPECT_NE(result.error().message().find("NetworkMode"), std::string::npos);
    EXPECT_FALSE(
        parse_create_body(R"({"Image":"b","HostConfig":{"NetworkMode":"container:db"}})", "")
            .is_error());
    auto endpoint = parse_create_body(
        R"({"Image":"b","NetworkingConfig":{"EndpointsConfig":{"default":{"Aliases":["x"]}}}})",
        "");
    ASSERT_TRUE(endpoint.is_error());
}

TEST(CreateBody, DockerCrossFieldRules) {
    EXPECT_TRUE(
        parse_create_body(
            R"({"Image":"b","HostConfig":{"AutoRemove":true,"RestartPolicy":{"Name":"always"}}})",
            "")
            .is_error());
    EXPECT_TRUE(parse_create_body(R"({"Image":"b","HostConfig":{"Memory":1024}})", "").is_error());
    EXPECT_TRUE(parse_create_body(
                    R"({"Image":"b","HostConfig":{"NanoCpus":1000000000,"CpuQuota":50000}})", "")
                    .is_error());
    EXPECT_TRUE(
        parse_create_body(
            R"({"Image":"b","HostConfig":{"RestartPolicy":{"Name":"always","MaximumRetryCount":2}}})",
            "")
            .is_error());
    EXPECT_TRUE(parse_create_body(
                    R"({"Image":"b","HostConfig":{"RestartPolicy":{"Name":"sometimes"}}})", "")
                    .is_error());
    EXPECT_TRUE(parse_create_body(R"({"Image":"b","WorkingDir":"relative"})", "").is_error());
}

TEST(CreateBody, LogDrivers) {
    auto none = parse_create_body(R"({"Image":"b","HostConfig":{"LogConfig":{"Type":"none"}}})", "")
                    .value();
    EXPECT_EQ(none.host_config.log_config.type, "none");
    EXPECT_TRUE(
        parse_create_body(R"({"Image":"b","HostConfig":{"LogConfig":{"Type":"syslog"}}})", "")
            .is_error());
    EXPECT_TRUE(parse_create_body(
                    R"({"Image":"b","HostConfig":{"LogConfig":{"Config":{"max-file":"0"}}}})", "")
                    .is_error());
    EXPECT_TRUE(parse_create_body(
                    R"({"Image":"b","HostConfig":{"LogConfig":{"Config":{"labels":"a"}}}})", "")
                    .is_error());
}

TEST(CreateBody, RestartPolicies) {
    auto request =
        parse_create_body(
            R"({"Image":"b","HostConfig":{"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":3}}})",
            "")
            .value();
    EXPECT_EQ(request.host_config.restart_policy.name, RestartPolicy::Name::on_failure);
    EXPECT_EQ(request.host_config.restart_policy.maximum_retry_count, 3);
    auto always =
        parse_create_body(
            R"({"Image":"b","HostConfig":{"RestartPolicy":{"Name":"unless-stopped"}}})", "")
            .value();
    EXPECT_EQ(always.host_config.restart_policy.name, RestartPolicy::Name::unless_stopped);
}

TEST(CreateBody, CmdAsStringIsOneElement) {
    auto request = parse_create_body(R"({"Image":"b","Cmd":"date"})", "").value();
    EXPECT_EQ(*request.config.cmd, std::vector<std::string>{"date"});
}

TEST(CreateBody, AnonymousVolumes) {
    auto request = parse_create_body(R"({"Image":"b","Volumes":{"/data":{}}})", "").value();
    ASSERT_EQ(request.host_config.mounts.size(), 1u);
    EXPECT_EQ(request.host_config.mounts[0].type, MountSpec::Type::volume);
    EXPECT_EQ(request.host_config.mounts[0].target, "/data");
    EXPECT_TRUE(request.host_config.mounts[0].source.empty());
}

TEST(ContainerName, FollowsDockerRule) {
    EXPECT_EQ(validate_container_name("/web-1").value(), "web-1");
    EXPECT_EQ(validate_container_name("a.b_c").value(), "a.b_c");
    EXPECT_TRUE(validate_container_name("x").is_error());
    EXPECT_TRUE(validate_container_name("-x").is_error());
    EXPECT_TRUE(validate_container_name("a/b").is_error());
    EXPECT_TRUE(validate_container_name("a b").is_error());
    EXPECT_TRUE(parse_create_body(R"({"Image":"b"})", "bad name").is_error());
}

TEST(ParseBind, Forms) {
    auto bind = parse_bind("/src:/dst").value();
    EXPECT_EQ(bind.type, MountSpec::Type::bind);
    EXPECT_FALSE(bind.read_only);
    auto options = parse_bind("/src:/dst:ro,rslave,z").value();
    EXPECT_TRUE(options.read_only);
    EXPECT_EQ(options.propagation, "rslave");
    auto volume = parse_bind("data:/var/lib/data:rw").value();
    EXPECT_EQ(volume.type, MountSpec::Type::volume);
    EXPECT_EQ(volume.source, "data");
    EXPECT_TRUE(parse_bind("/src").is_error());
    EXPECT_TRUE(parse_bind("/src:relative").is_error());
    EXPECT_TRUE(parse_bind("/src:/dst:bogus").is_error());
    EXPECT_TRUE(parse_bind("/a:/b:ro:x").is_error());
    EXPECT_TRUE(parse_bind("bad$name:/x").is_error());
}

TEST(ParseSize, BinaryUnits) {
    EXPECT_EQ(parse_size("100", "x").value(), 100u);
    EXPECT_EQ(parse_size("1k", "x").value(), 1024u);
    EXPECT_EQ(parse_size("1m", "x").value(), 1u << 20);
    EXPECT_EQ(parse_size("2G", "x").value(), 2ull << 30);
    EXPECT_EQ(parse_size("3mb", "x").value(), 3u << 20);
    EXPECT_EQ(parse_size("3MiB", "x").value(), 3u << 20);
    EXPECT_TRUE(parse_size("", "x").is_error());
    EXPECT_TRUE(parse_size("m", "x").is_error());
    EXPECT_TRUE(parse_size("1q", "x").is_error());
    EXPECT_TRUE(parse_size("99999999999999999999t", "x").is_error());
}

TEST(CreateBody, ConsoleSizeOfACliOnATerminal) {
    // docker 28 under a 33x101 pty (`docker run -t busybox stty size`) sends its size.
    auto request = parse_create_body(data_file("create_tty_console_cli28.json"), "").value();
    EXPECT_TRUE(request.config.tty);
    EXPECT_EQ(request.host_config.console_size, (engine::ConsoleSize{33, 101}));
    // Without a terminal it sends [0, 0]: no size.
    auto plain = parse_create_body(data_file("create_tty_cli28.json"), "").value();
    EXPECT_EQ(plain.host_config.console_size, (engine::ConsoleSize{0, 0}));
    EXPECT_FALSE(plain.host_config.console_size.given());
}

TEST(CreateBody, ConsoleSizeNullOrAbsentIsZero) {
    for (const char* host : {R"({"ConsoleSize":null})", R"({})", "null"}) {
        auto request =
            parse_create_body(std::string(R"({"Image":"x","HostConfig":)") + host + "}", "");
        ASSERT_FALSE(request.is_error()) << host << ": " << request.error().message();
        EXPECT_EQ(request->host_config.console_size, (engine::ConsoleSize{0, 0})) << host;
    }
    auto edge =
        parse_create_body(R"({"Image":"x","HostConfig":{"ConsoleSize":[65535,1]}})", "").value();
    EXPECT_EQ(edge.host_config.console_size, (engine::ConsoleSize{65535, 1}));
}

TEST(CreateBody, ConsoleSizeOfTheWrongShapeNamesTheField) {
    for (const char* value :
         {"[33]", "[]", "[33,101,1]", R"("33x101")", "33", R"({"h":33})", "[-1,80]", "[33,-1]",
          "[1.5,80]", R"(["33","101"])", "[65536,80]", "[33,null]", "[true,80]", "[[33],80]"}) {
        auto request = parse_create_body(
            std::string(R"({"Image":"x","HostConfig":{"ConsoleSize":)") + value + "}}", "");
        ASSERT_TRUE(request.is_error()) << value;
        EXPECT_EQ(request.error().kind(), ErrorKind::invalid_argument) << value;
        EXPECT_NE(request.error().message().find("HostConfig.ConsoleSize"), std::string::npos)
            << value << ": " << request.error().message();
    }
}

TEST(ExecBody, CapturedBodiesParse) {
    for (const char* client : {"cli28", "cli20"}) {
        auto tty = parse_exec_body(data_file(std::string("exec_tty_") + client + ".json")).value();
        EXPECT_TRUE(tty.tty);
        EXPECT_TRUE(tty.attach_stdin);
        EXPECT_EQ(tty.cmd, std::vector<std::string>{"sh"});
        auto plain =
            parse_exec_body(data_file(std::string("exec_plain_") + client + ".json")).value();
        EXPECT_FALSE(plain.tty);
        EXPECT_EQ(plain.user, "root");
        EXPECT_EQ(plain.working_dir, "/tmp");
        EXPECT_EQ(plain.env, std::vector<std::string>{"X=1"});
        EXPECT_EQ(plain.cmd, std::vector<std::string>{"ls"});
        auto detached =
            parse_exec_body(data_file(std::string("exec_detach_") + client + ".json")).value();
        EXPECT_FALSE(detached.attach_stdout);
    }
}

TEST(ExecBody, ConsoleSize) {
    // docker 28 at API 1.42 under a 33x101 pty (`docker exec -t ctr stty size`).
    auto sized =
        parse_exec_body(R"({"User":"","Privileged":false,"Tty":true,"ConsoleSize":[33,101],)"
                        R"("AttachStdin":false,"AttachStderr":true,"AttachStdout":true,)"
                        R"("Detach":false,"DetachKeys":"","Env":null,"WorkingDir":"",)"
                        R"("Cmd":["stty","size"]})")
            .value();
    EXPECT_EQ(sized.console_size, (engine::ConsoleSize{33, 101}));
    auto unsized = parse_exec_body(R"({"Cmd":["sh"],"ConsoleSize":null})").value();
    EXPECT_EQ(unsized.console_size, (engine::ConsoleSize{0, 0}));
    for (const char* value : {"[33]", "[33,101,1]", "[-1,80]", R"("33x101")", "[70000,1]"}) {
        auto bad = parse_exec_body(std::string(R"({"Cmd":["sh"],"ConsoleSize":)") + value + "}");
        ASSERT_TRUE(bad.is_error()) << value;
        EXPECT_NE(bad.error().message().find("ConsoleSize"), std::string::npos)
            << bad.error().message();
    }
}

TEST(ExecBody, RequiresCommand) {
    auto result = parse_exec_body(R"({"Cmd":[]})");
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().message(), "No exec command specified");
}

TEST(ExecStartBody, Parses) {
    auto options = parse_exec_start_body(R"({"Detach":false,"Tty":true})").value();
    EXPECT_TRUE(options.tty);
    EXPECT_FALSE(options.detach);
    EXPECT_FALSE(parse_exec_start_body("").is_error());
    EXPECT_TRUE(parse_exec_start_body(R"({"Bogus":1})").is_error());
}

TEST(ExecStartBody, ConsoleSize) {
    auto sized =
        parse_exec_start_body(R"({"Detach":false,"Tty":true,"ConsoleSize":[33,101]})").value();
    EXPECT_EQ(sized.console_size, (engine::ConsoleSize{33, 101}));
    EXPECT_FALSE(parse_exec_start_body(R"({"Tty":true})").value().console_size.given());
    EXPECT_FALSE(
        parse_exec_start_body(R"({"Tty":true,"ConsoleSize":null})").value().console_size.given());
    auto bad = parse_exec_start_body(R"({"Tty":true,"ConsoleSize":[33]})");
    ASSERT_TRUE(bad.is_error());
    EXPECT_NE(bad.error().message().find("ConsoleSize"), std::string::npos)
        << bad.error().message();
}

}  // namespace
}  // namespace corral::api
