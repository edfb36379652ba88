#include "cli/system_docker_run_options.h"

#include "cli/system_docker_commands.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace corral::cli {
namespace {

ContainerOptions parse(std::vector<std::string> arguments, bool for_run = true) {
    auto options = parse_container_arguments(arguments, for_run);
    EXPECT_TRUE(options) << options.error().message();
    return options ? *options : ContainerOptions{};
}

TEST(RunOptions, CombinedShortFlags) {
    auto options = parse({"-dit", "busybox"});
    EXPECT_TRUE(options.detach);
    EXPECT_TRUE(options.interactive);
    EXPECT_TRUE(options.tty);
    options = parse({"-it", "--rm", "busybox", "sh"});
    EXPECT_TRUE(options.interactive);
    EXPECT_TRUE(options.tty);
    EXPECT_TRUE(options.remove);
    EXPECT_FALSE(options.detach);
}

TEST(RunOptions, ParsingStopsAtTheImage) {
    auto options = parse({"--name", "x", "busybox", "ls", "-la", "--rm", "-e", "A=1"});
    EXPECT_EQ(options.name, "x");
    EXPECT_EQ(options.image, "busybox");
    EXPECT_EQ(options.command, (std::vector<std::string>{"ls", "-la", "--rm", "-e", "A=1"}));
    EXPECT_FALSE(options.remove);
    EXPECT_TRUE(options.env.empty());
}

TEST(RunOptions, RepeatedAndAttachedValues) {
    auto options = parse({"-e", "A=1", "-eB=2", "--env=C=3", "-v", "/a:/b:ro", "-l", "k=v",
                          "--label", "flag", "-h", "box", "--network=host", "busybox"});
    EXPECT_EQ(options.env, (std::vector<std::string>{"A=1", "B=2", "C=3"}));
    EXPECT_EQ(options.volumes, (std::vector<std::string>{"/a:/b:ro"}));
    EXPECT_EQ(options.labels, (std::vector<std::string>{"k=v", "flag"}));
    EXPECT_EQ(options.hostname, "box");
    EXPECT_EQ(options.network, "host");
    EXPECT_EQ(options.image, "busybox");
    EXPECT_TRUE(options.command.empty());
}

TEST(RunOptions, LongFlagsWithEqualsAndBooleanValues) {
    auto options = parse({"--name=web", "--sig-proxy=false", "--rm=true", "--memory=1g",
                          "--restart=always", "busybox"});
    EXPECT_EQ(options.name, "web");
    EXPECT_FALSE(options.sig_proxy);
    EXPECT_TRUE(options.remove);
    EXPECT_EQ(options.memory, "1g");
    EXPECT_EQ(options.restart, "always");
    EXPECT_TRUE(parse({"busybox"}).sig_proxy);
}

TEST(RunOptions, UsageErrors) {
    auto unknown = parse_container_arguments({"--bogus", "busybox"}, true);
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().message(), "unknown flag: --bogus");
    auto missing = parse_container_arguments({"-d"}, true, "system-docker");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().message(), "\"system-docker run\" requires at least 1 argument.");
    EXPECT_FALSE(parse_container_arguments({"--name"}, true));
    EXPECT_FALSE(parse_container_arguments({"--pull", "always", "busybox"}, true));
    // -d belongs to run only.
    EXPECT_FALSE(parse_container_arguments({"-d", "busybox"}, false));
}

TEST(RunOptions, MemoryAndCpus) {
    EXPECT_EQ(*parse_memory_bytes("512m"), 512LL << 20);
    EXPECT_EQ(*parse_memory_bytes("1G"), 1LL << 30);
    EXPECT_EQ(*parse_memory_bytes("64mb"), 64LL << 20);
    EXPECT_EQ(*parse_memory_bytes("1024"), 1024);
    EXPECT_EQ(*parse_memory_bytes("1.5k"), 1536);
    EXPECT_FALSE(parse_memory_bytes("lots"));
    EXPECT_FALSE(parse_memory_bytes("-1m"));
    EXPECT_EQ(*parse_nano_cpus("1.5"), 1500000000);
    EXPECT_EQ(*parse_nano_cpus("0.25"), 250000000);
    EXPECT_FALSE(parse_nano_cpus("two"));
}

TEST(RunOptions, CreateBodyFromFlags) {
    ::setenv("SYSTEM_DOCKER_TEST_VALUE", "from-host", 1);
    ::unsetenv("SYSTEM_DOCKER_TEST_UNSET");
    auto options = parse({"-d",
                          "--rm",
                          "-i",
                          "-e",
                          "A=1",
                          "-e",
                          "SYSTEM_DOCKER_TEST_VALUE",
                          "-e",
                          "SYSTEM_DOCKER_TEST_UNSET",
                          "-v",
                          "/srv:/data:ro",
                          "-v",
                          "/anon",
                          "--entrypoint",
                          "/bin/sh",
                          "-w",
                          "/tmp",
                          "-u",
                          "1000:1000",
                          "-h",
                          "box",
                          "-l",
                          "io.rancher.os.scope=system",
                          "--privileged",
                          "--cap-add",
                          "NET_ADMIN",
                          "--cap-drop",
                          "MKNOD",
                          "--net",
                          "host",
                          "--pid",
                          "host",
                          "--ipc",
                          "host",
                          "--uts",
                          "host",
                          "--read-only",
                          "--tmpfs",
                          "/run:rw,size=64m",
                          "--device",
                          "/dev/fuse",
                          "--device",
                          "/dev/sda:/dev/xvda:r",
                          "--volumes-from",
                          "data",
                          "-m",
                          "64m",
                          "--cpus",
                          "0.5",
                          "--log-opt",
                          "max-size=10m",
                          "--log-opt",
                          "max-file=3",
                          "busybox",
                          "-c",
                          "echo hi"});
    auto body = build_create_body(options);
    ASSERT_TRUE(body) << body.error().message();
    const auto& json = *body;
    EXPECT_EQ(json["Image"], "busybox");
    EXPECT_EQ(json["Cmd"], nlohmann::ordered_json({"-c", "echo hi"}));
    EXPECT_EQ(json["Entrypoint"], nlohmann::ordered_json({"/bin/sh"}));
    EXPECT_EQ(json["Env"], nlohmann::ordered_json({"A=1", "SYSTEM_DOCKER_TEST_VALUE=from-host"}));
    EXPECT_EQ(json["WorkingDir"], "/tmp");
    EXPECT_EQ(json["User"], "1000:1000");
    EXPECT_EQ(json["Hostname"], "box");
    EXPECT_EQ(json["Labels"]["io.rancher.os.scope"], "system");
    EXPECT_EQ(json["Volumes"].contains("/anon"), true);
    EXPECT_EQ(json["OpenStdin"], true);
    EXPECT_EQ(json["AttachStdin"], false);  // detached
    EXPECT_EQ(json["AttachStdout"], false);
    const auto& host = json["HostConfig"];
    EXPECT_EQ(host["Binds"], nlohmann::ordered_json({"/srv:/data:ro"}));
    EXPECT_EQ(host["AutoRemove"], true);
    EXPECT_EQ(host["Privileged"], true);
    EXPECT_EQ(host["CapAdd"], nlohmann::ordered_json({"NET_ADMIN"}));
    EXPECT_EQ(host["CapDrop"], nlohmann::ordered_json({"MKNOD"}));
    EXPECT_EQ(host["NetworkMode"], "host");
    EXPECT_EQ(host["PidMode"], "host");
    EXPECT_EQ(host["IpcMode"], "host");
    EXPECT_EQ(host["UTSMode"], "host");
    EXPECT_EQ(host["ReadonlyRootfs"], true);
    EXPECT_EQ(host["Tmpfs"]["/run"], "rw,size=64m");
    EXPECT_EQ(host["Devices"][0]["PathOnHost"], "/dev/fuse");
    EXPECT_EQ(host["Devices"][0]["PathInContainer"], "/dev/fuse");
    EXPECT_EQ(host["Devices"][0]["CgroupPermissions"], "rwm");
    EXPECT_EQ(host["Devices"][1]["PathInContainer"], "/dev/xvda");
    EXPECT_EQ(host["Devices"][1]["CgroupPermissions"], "r");
    EXPECT_EQ(host["VolumesFrom"], nlohmann::ordered_json({"data"}));
    EXPECT_EQ(host["Memory"], 64LL << 20);
    EXPECT_EQ(host["NanoCpus"], 500000000);
    EXPECT_EQ(host["LogConfig"]["Config"]["max-size"], "10m");
    EXPECT_EQ(host["LogConfig"]["Config"]["max-file"], "3");
    EXPECT_EQ(host["RestartPolicy"]["Name"], "no");
}

TEST(RunOptions, AttachedRunAndRestartPolicies) {
    auto attached = build_create_body(parse({"-i", "-t", "busybox"}));
    ASSERT_TRUE(attached);
    EXPECT_EQ((*attached)["AttachStdin"], true);
    EXPECT_EQ((*attached)["StdinOnce"], true);
    EXPECT_EQ((*attached)["Tty"], true);
    EXPECT_TRUE((*attached)["Cmd"].is_null());
    EXPECT_FALSE((*attached)["HostConfig"].contains("ConsoleSize"));

    // The terminal's size goes with a tty only, as [height, width].
    auto options = parse({"-t", "busybox"});
    options.console_size = std::make_pair(33u, 101u);
    auto sized = build_create_body(options);
    ASSERT_TRUE(sized);
    EXPECT_EQ((*sized)["HostConfig"]["ConsoleSize"], nlohmann::ordered_json({33, 101}));
    options.tty = false;
    sized = build_create_body(options);
    ASSERT_TRUE(sized);
    EXPECT_FALSE((*sized)["HostConfig"].contains("ConsoleSize"));

    auto policy = build_create_body(parse({"--restart", "on-failure:5", "busybox"}));
    ASSERT_TRUE(policy);
    EXPECT_EQ((*policy)["HostConfig"]["RestartPolicy"]["Name"], "on-failure");
    EXPECT_EQ((*policy)["HostConfig"]["RestartPolicy"]["MaximumRetryCount"], 5);
    EXPECT_FALSE(build_create_body(parse({"--restart", "sometimes", "busybox"})));
    EXPECT_FALSE(build_create_body(parse({"--restart", "always:3", "busybox"})));
    EXPECT_FALSE(build_create_body(parse({"--rm", "--restart", "always", "busybox"})));
    EXPECT_FALSE(build_create_body(parse({"-v", "relative", "busybox"})));
    EXPECT_FALSE(build_create_body(parse({"--device", "/dev/x:/dev/y:rwz", "busybox"})));
    EXPECT_FALSE(build_create_body(parse({"--log-opt", "novalue", "busybox"})));
}

TEST(RunOptions, StartFailureExitCodes) {
    EXPECT_EQ(start_failure_exit_code("Error response from daemon: failed to create shim task: "
                                      "exec: \"x\": executable file not found in $PATH: unknown"),
              127);
    EXPECT_EQ(start_failure_exit_code("Error response from daemon: crun create: executable file "
                                      "`x` not found in $PATH: No such file or directory"),
              127);
    EXPECT_EQ(start_failure_exit_code("exec: \"/etc/passwd\": permission denied: unknown"), 126);
    EXPECT_EQ(start_failure_exit_code("Error response from daemon: No such container: x"), 125);
}

}  // namespace
}  // namespace corral::cli
