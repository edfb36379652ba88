#include "api/json_out.h"

#include <gtest/gtest.h>

namespace corral::api {
namespace {

constexpr int64_t second = 1'000'000'000;

TEST(Rfc3339Nano, TrimsFractionLikeGo) {
    EXPECT_EQ(rfc3339_nano(0), "0001-01-01T00:00:00Z");
    EXPECT_EQ(rfc3339_nano(1795839288 * second), "2026-11-28T04:14:48Z");
    EXPECT_EQ(rfc3339_nano(1795839288 * second + 500'000'000), "2026-11-28T04:14:48.5Z");
    EXPECT_EQ(rfc3339_nano(1795839288 * second + 123'456'789), "2026-11-28T04:14:48.123456789Z");
    EXPECT_EQ(rfc3339_nano(1795839288 * second + 1'000), "2026-11-28T04:14:48.000001Z");
}

TEST(HumanDuration, MatchesDockerWording) {
    EXPECT_EQ(human_duration(0), "Less than a second");
    EXPECT_EQ(human_duration(1 * second), "1 second");
    EXPECT_EQ(human_duration(59 * second), "59 seconds");
    EXPECT_EQ(human_duration(60 * second), "About a minute");
    EXPECT_EQ(human_duration(5 * 60 * second), "5 minutes");
    EXPECT_EQ(human_duration(60 * 60 * second), "About an hour");
    EXPECT_EQ(human_duration(3 * 3600 * second), "3 hours");
    EXPECT_EQ(human_duration(3 * 86400 * second), "3 days");
    EXPECT_EQ(human_duration(21 * 86400 * second), "3 weeks");
    EXPECT_EQ(human_duration(90 * 86400 * second), "3 months");
    EXPECT_EQ(human_duration(3 * 365 * 86400 * second), "3 years");
}

TEST(StatusText, PerState) {
    engine::ContainerState state;
    int64_t now = 1000 * second;
    EXPECT_EQ(status_text(state, now), "Created");
    state.status = engine::Status::running;
    state.started_at_ns = now - 3 * second;
    EXPECT_EQ(status_text(state, now), "Up 3 seconds");
    state.status = engine::Status::exited;
    state.exit_code = 137;
    state.finished_at_ns = now - 120 * second;
    EXPECT_EQ(status_text(state, now), "Exited (137) 2 minutes ago");
}

engine::Container sample_container() {
    engine::Container container;
    container.id = std::string(64, 'a');
    container.name = "web";
    container.created_ns = 1795839288 * second;
    container.image_id = "sha256:" + std::string(64, 'b');
    container.path = "sh";
    container.args = {"-c", "echo hi"};
    container.config.image = "busybox";
    container.config.labels = {{"k", "v"}};
    container.config.cmd = std::vector<std::string>{"-c", "echo hi"};
    container.state.status = engine::Status::exited;
    container.state.exit_code = 3;
    container.state.started_at_ns = container.created_ns + second;
    container.state.finished_at_ns = container.created_ns + 2 * second;
    container.log_path = "/var/lib/system-docker/containers/a/a-json.log";
    engine::MountSpec bind;
    bind.source = "/tmp";
    bind.target = "/data";
    bind.read_only = true;
    bind.create_source = true;
    container.host_config.mounts.push_back(bind);
    container.host_config.restart_policy.name = engine::RestartPolicy::Name::on_failure;
    container.host_config.restart_policy.maximum_retry_count = 2;
    return container;
}

TEST(ContainerInspect, DockerShape) {
    auto json = container_inspect_json(sample_container());
    EXPECT_EQ(json["Id"], std::string(64, 'a'));
    EXPECT_EQ(json["Name"], "/web");
    EXPECT_EQ(json["Created"], "2026-11-28T04:14:48Z");
    EXPECT_EQ(json["Path"], "sh");
    EXPECT_EQ(json["Args"].size(), 2u);
    EXPECT_EQ(json["State"]["Status"], "exited");
    EXPECT_EQ(json["State"]["Running"], false);
    EXPECT_EQ(json["State"]["ExitCode"], 3);
    EXPECT_EQ(json["State"]["FinishedAt"], "2026-11-28T04:14:50Z");
    EXPECT_EQ(json["Config"]["Image"], "busybox");
    EXPECT_EQ(json["Config"]["Labels"]["k"], "v");
    EXPECT_EQ(json["Config"]["Tty"], false);
    EXPECT_EQ(json["HostConfig"]["Binds"][0], "/tmp:/data:ro");
    EXPECT_EQ(json["HostConfig"]["RestartPolicy"]["Name"], "on-failure");
    EXPECT_EQ(json["HostConfig"]["RestartPolicy"]["MaximumRetryCount"], 2);
    EXPECT_EQ(json["HostConfig"]["LogConfig"]["Type"], "json-file");
    // As dockerd: [height, width], [0, 0] when the client gave none.
    EXPECT_EQ(json["HostConfig"]["ConsoleSize"], nlohmann::json::array({0, 0}));
    auto sized = sample_container();
    sized.host_config.console_size = {33, 101};
    EXPECT_EQ(container_inspect_json(sized)["HostConfig"]["ConsoleSize"],
              nlohmann::json::array({33, 101}));
    EXPECT_EQ(json["LogPath"], "/var/lib/system-docker/containers/a/a-json.log");
    EXPECT_TRUE(json["NetworkSettings"]["Networks"].contains("bridge"));
}

TEST(ContainerSummary, PsShape) {
    auto container = sample_container();
    auto json = container_summary_json(container, container.state.finished_at_ns + 5 * second);
    EXPECT_EQ(json["Names"][0], "/web");
    EXPECT_EQ(json["Image"], "busybox");
    // As dockerd: an argument with a space is single-quoted.
    EXPECT_EQ(json["Command"], "sh -c 'echo hi'");
    EXPECT_EQ(json["Created"], 1795839288);
    EXPECT_EQ(json["State"], "exited");
    EXPECT_EQ(json["Status"], "Exited (3) 5 seconds ago");
}

TEST(EventJson, HasModernAndLegacyFields) {
    engine::Event event;
    event.type = "container";
    event.action = "start";
    event.id = "abc";
    event.attributes = {{"image", "busybox"}, {"name", "web"}};
    event.time_ns = 1795839288 * second + 7;
    auto json = event_json(event);
    EXPECT_EQ(json["Type"], "container");
    EXPECT_EQ(json["Action"], "start");
    EXPECT_EQ(json["Actor"]["ID"], "abc");
    EXPECT_EQ(json["Actor"]["Attributes"]["name"], "web");
    EXPECT_EQ(json["status"], "start");
    EXPECT_EQ(json["id"], "abc");
    EXPECT_EQ(json["from"], "busybox");
    EXPECT_EQ(json["time"], 1795839288);
    EXPECT_EQ(json["timeNano"], 1795839288 * second + 7);
}

TEST(ProgressJson, OmitsEmptyParts) {
    image::ProgressRecord record;
    record.status = "Loading layer";
    record.id = "a3ed95caeb02";
    record.current = 10;
    record.total = 100;
    auto json = progress_json(record);
    EXPECT_EQ(json["status"], "Loading layer");
    EXPECT_EQ(json["progressDetail"]["current"], 10);
    EXPECT_EQ(json["progressDetail"]["total"], 100);
    EXPECT_FALSE(json.contains("progress"));
    image::ProgressRecord plain;
    plain.status = "Done";
    EXPECT_EQ(dump(progress_json(plain)), R"({"status":"Done"})");
}

TEST(ImageJson, SummaryAndInspect) {
    image::Image image;
    image.id = "sha256:" + std::string(64, 'c');
    image.repo_tags = {"busybox:latest"};
    image.created = 1700000000;
    image.size = 4096;
    image.config.cmd = std::vector<std::string>{"sh"};
    image.config.architecture = "amd64";
    image.config.os = "linux";
    image.config.diff_ids = {"sha256:" + std::string(64, 'd')};
    auto summary = image_summary_json(image);
    EXPECT_EQ(summary["Id"], image.id);
    EXPECT_EQ(summary["RepoTags"][0], "busybox:latest");
    EXPECT_EQ(summary["Size"], 4096);
    auto inspect = image_inspect_json(image);
    EXPECT_EQ(inspect["Config"]["Cmd"][0], "sh");
    EXPECT_EQ(inspect["RootFS"]["Layers"].size(), 1u);
    EXPECT_EQ(inspect["Os"], "linux");
    EXPECT_EQ(inspect["Created"], "2023-11-14T22:13:20Z");
}

TEST(RegistryConfig, AsDockerdReportsInsecureRegistries) {
    auto config = registry_config_json(
        image::list_insecure_registries({"registry.lan:5000", "10.20.3.4/16", "127.0.0.0/8"}));
    EXPECT_EQ(config["InsecureRegistryCIDRs"],
              nlohmann::json::array({"10.20.0.0/16", "127.0.0.0/8", "::1/128"}));
    EXPECT_EQ(config["Mirrors"], nlohmann::json::array());
    ASSERT_EQ(config["IndexConfigs"].size(), 2u);
    EXPECT_EQ(config["IndexConfigs"]["docker.io"],
              (nlohmann::json{{"Name", "docker.io"},
                              {"Mirrors", nlohmann::json::array()},
                              {"Secure", true},
                              {"Official", true}}));
    EXPECT_EQ(config["IndexConfigs"]["registry.lan:5000"],
              (nlohmann::json{{"Name", "registry.lan:5000"},
                              {"Mirrors", nlohmann::json::array()},
                              {"Secure", false},
                              {"Official", false}}));
    auto none = registry_config_json({});
    EXPECT_EQ(none["InsecureRegistryCIDRs"], nlohmann::json::array({"::1/128", "127.0.0.0/8"}));
    EXPECT_EQ(none["IndexConfigs"].size(), 1u);
}

}  // namespace
}  // namespace corral::api
