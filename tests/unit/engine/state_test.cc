#include "engine/state.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "engine/names.h"

namespace corral::engine {
namespace {

Container sample() {
    Container c;
    c.id = generate_id();
    c.name = "web";
    c.created_ns = 1'700'000'000'123'456'789;
    c.image_id = "sha256:" + std::string(64, 'a');
    c.path = "/bin/sh";
    c.args = {"-c", "echo \"hi\"\n"};
    c.log_path = "/var/lib/x/" + c.id + "-json.log";
    c.config.image = "busybox";
    c.config.env = {"A=1", "B=two words"};
    c.config.cmd = std::vector<std::string>{"sh"};
    c.config.entrypoint = std::nullopt;
    c.config.labels = {{"io.rancher.os.scope", "system"}};
    c.config.tty = true;
    c.config.stop_timeout = 3;
    MountSpec bind;
    bind.source = "/srv";
    bind.target = "/data";
    bind.read_only = true;
    bind.propagation = "rshared";
    bind.create_source = true;
    c.host_config.mounts = {bind};
    c.host_config.volumes_from = {"other:ro"};
    c.host_config.devices = {{"/dev/fuse", "/dev/fuse", "rw"}};
    c.host_config.network_mode = "host";
    c.host_config.restart_policy = {RestartPolicy::Name::on_failure, 5};
    c.host_config.resources.memory = 64 << 20;
    c.host_config.resources.cpuset_cpus = "0-1";
    c.host_config.log_config.max_size = 1 << 20;
    c.host_config.log_config.max_file = 3;
    c.host_config.sysctls = {{"net.ipv4.ip_forward", "1"}};
    c.host_config.console_size = {33, 101};
    c.state.status = Status::exited;
    c.state.exit_code = 137;
    c.state.started_at_ns = 5;
    c.state.finished_at_ns = 6;
    c.state.restart_count = 2;
    c.state.stopped_by_user = true;
    MountPoint volume;
    volume.type = MountSpec::Type::volume;
    volume.name = "data";
    volume.source = "/v/data/_data";
    volume.destination = "/var/lib/data";
    c.mounts = {volume};
    return c;
}

TEST(State, RoundTrip) {
    auto original = sample();
    auto text = serialize_container(original);
    auto parsed = parse_container(text);
    ASSERT_FALSE(parsed.is_error()) << parsed.error().message();
    EXPECT_EQ(serialize_container(*parsed), text);
    EXPECT_EQ(parsed->args, original.args);
    EXPECT_FALSE(parsed->config.entrypoint.has_value());
    EXPECT_EQ(parsed->config.stop_timeout, 3);
    EXPECT_EQ(parsed->host_config.restart_policy.maximum_retry_count, 5);
    EXPECT_EQ(parsed->host_config.mounts.at(0).propagation, "rshared");
    EXPECT_TRUE(parsed->host_config.mounts.at(0).create_source);
    EXPECT_EQ(parsed->state.status, Status::exited);
    EXPECT_EQ(parsed->mounts.at(0).type, MountSpec::Type::volume);
    EXPECT_EQ(parsed->host_config.console_size, (ConsoleSize{33, 101}));
}

TEST(State, RoundTripThroughDisk) {
    auto dir = fs::TempDir::create("/tmp", "engine-state");
    ASSERT_FALSE(dir.is_error());
    auto original = sample();
    std::string path = dir->path() + "/container.json";
    ASSERT_FALSE(fs::write_file_atomic(path, serialize_container(original)).is_error());
    auto text = fs::read_file(path);
    ASSERT_FALSE(text.is_error());
    auto parsed = parse_container(*text);
    ASSERT_FALSE(parsed.is_error());
    EXPECT_EQ(parsed->id, original.id);
    EXPECT_EQ(parsed->state.exit_code, 137);
}

TEST(State, RejectsBadRecords) {
    EXPECT_TRUE(parse_container("").is_error());
    EXPECT_TRUE(parse_container("[]").is_error());
    EXPECT_TRUE(parse_container("{\"version\":2,\"id\":\"x\",\"name\":\"y\"}").is_error());
    auto text = serialize_container(sample());
    auto wrong_type = text;
    auto at = wrong_type.find("\"exit_code\": 137");
    ASSERT_NE(at, std::string::npos);
    wrong_type.replace(at, 16, "\"exit_code\": \"x\"");
    auto parsed = parse_container(wrong_type);
    ASSERT_TRUE(parsed.is_error());
    EXPECT_NE(parsed.error().message().find("container.state.exit_code"), std::string::npos)
        << parsed.error().message();
    for (const char* size : {"[33]", "[-1, 101]", "\"33x101\"", "[70000, 1]", "null"}) {
        auto record = nlohmann::json::parse(text);
        record["host_config"]["console_size"] = nlohmann::json::parse(size);
        auto result = parse_container(record.dump());
        ASSERT_TRUE(result.is_error()) << size;
        EXPECT_NE(result.error().message().find("host_config.console_size"), std::string::npos)
            << result.error().message();
    }
    // Records written before the field existed: no size.
    auto old_record = nlohmann::json::parse(text);
    ASSERT_EQ(old_record["host_config"].erase("console_size"), 1u);
    auto old_parsed = parse_container(old_record.dump());
    ASSERT_FALSE(old_parsed.is_error()) << old_parsed.error().message();
    EXPECT_FALSE(old_parsed->host_config.console_size.given());
    auto bad_id = text;
    bad_id.replace(bad_id.find("\"id\": \"") + 7, 4, "zzzz");
    EXPECT_TRUE(parse_container(bad_id).is_error());
}

TEST(State, IgnoresUnknownKeys) {
    auto text = serialize_container(sample());
    text.insert(text.find('{') + 1, "\"from_the_future\": {\"x\": 1},");
    EXPECT_FALSE(parse_container(text).is_error());
}

}  // namespace
}  // namespace corral::engine
