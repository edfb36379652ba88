#include "runtime/shim_protocol.h"

#include <gtest/gtest.h>

#include "runtime/shim.h"
#include "runtime/shim_client.h"

namespace corral::runtime {
namespace {

namespace protocol = shim_protocol;

TEST(ShimProtocol, FramesSurviveArbitrarySplits) {
    std::string stream = protocol::encode('i', "hello") + protocol::encode('c', "") +
                         protocol::encode_resize(24, 80) +
                         protocol::encode('i', std::string(70000, 'z'));
    for (size_t chunk : {1u, 3u, 7u, 4096u}) {
        protocol::FrameDecoder decoder;
        std::vector<protocol::Frame> frames;
        for (size_t offset = 0; offset < stream.size(); offset += chunk) {
            ASSERT_TRUE(decoder.feed(std::string_view(stream).substr(offset, chunk)));
            while (auto frame = decoder.next())
                frames.push_back(std::move(*frame));
        }
        ASSERT_EQ(frames.size(), 4u);
        EXPECT_EQ(frames[0].payload, "hello");
        EXPECT_EQ(frames[1].type, 'c');
        auto size = protocol::decode_resize(frames[2].payload);
        ASSERT_TRUE(size);
        EXPECT_EQ(size->first, 24);
        EXPECT_EQ(size->second, 80);
        EXPECT_EQ(frames[3].payload.size(), 70000u);
        EXPECT_EQ(decoder.buffered(), 0u);
    }
}

TEST(ShimProtocol, OversizedFrameIsRefused) {
    protocol::FrameDecoder decoder;
    std::string header = "i\xff\xff\xff\xff";
    EXPECT_FALSE(decoder.feed(header));
}

TEST(ShimProtocol, EventDecoder) {
    ShimEventDecoder decoder;
    std::string stream = protocol::encode('o', "out") + protocol::encode('e', "err") +
                         protocol::encode('S', "") + protocol::encode_exit(137, true);
    ASSERT_TRUE(decoder.feed(stream.substr(0, 6)));
    ASSERT_TRUE(decoder.feed(stream.substr(6)));
    auto out = decoder.next();
    ASSERT_TRUE(out);
    EXPECT_EQ(out->kind, ShimEvent::Kind::stdout_data);
    EXPECT_EQ(out->data, "out");
    EXPECT_EQ(decoder.next()->kind, ShimEvent::Kind::stderr_data);
    EXPECT_EQ(decoder.next()->kind, ShimEvent::Kind::start_result);
    auto exit = decoder.next();
    ASSERT_TRUE(exit);
    EXPECT_EQ(exit->kind, ShimEvent::Kind::exit);
    EXPECT_EQ(exit->exit_code, 137);
    EXPECT_TRUE(exit->oom_killed);
    EXPECT_FALSE(decoder.next());
    EXPECT_FALSE(decoder.feed(protocol::encode('?', "")));
    ShimEventDecoder malformed;
    EXPECT_FALSE(malformed.feed(protocol::encode('x', "12")));
}

TEST(ShimProtocol, StateFiles) {
    auto state = parse_shim_state(
        R"({"shim_pid":10,"shim_start_time":5,"container_pid":11,"container_start_time":6})");
    ASSERT_TRUE(state);
    EXPECT_EQ(state->container_pid, 11);
    EXPECT_FALSE(parse_shim_state(R"({"shim_pid":0})"));
    EXPECT_FALSE(parse_shim_state("not json"));
    auto status =
        parse_exit_status(R"({"exit_code":137,"oom_killed":false,"finished_at_ns":99,"error":""})");
    ASSERT_TRUE(status);
    EXPECT_EQ(status->exit_code, 137);
    EXPECT_FALSE(parse_exit_status(R"({"exit_code":"x"})"));
}

TEST(ShimProtocol, CommandLineRoundTrip) {
    RuntimeOptions runtime;
    runtime.crun_root = "/run/x/crun";
    runtime.cgroup_parent = "/system";
    runtime.crun_fixed_addresses = true;
    ShimOptions options;
    options.id = "abc";
    options.container_dir = "/var/lib/x/abc";
    options.exec_root_dir = "/run/x/abc";
    options.tty = true;
    options.stdin_once = true;
    options.log_config.max_size = 1000;
    options.log_config.max_file = 4;
    options.log_path = "/var/lib/x/abc/abc-json.log";
    options.rows = 24;
    auto parsed = parse_shim_command_line(shim_command_line(runtime, options, 3));
    ASSERT_TRUE(parsed) << parsed.error().message();
    EXPECT_EQ(parsed->shim.id, "abc");
    EXPECT_TRUE(parsed->shim.tty);
    EXPECT_FALSE(parsed->shim.open_stdin);
    EXPECT_TRUE(parsed->shim.stdin_once);
    EXPECT_EQ(parsed->shim.log_config.max_size, 1000u);
    EXPECT_EQ(parsed->shim.log_config.max_file, 4);
    EXPECT_EQ(parsed->shim.rows, 24);
    EXPECT_EQ(parsed->runtime.crun_root, "/run/x/crun");
    EXPECT_EQ(parsed->runtime.cgroup_parent, "/system");
    EXPECT_TRUE(parsed->runtime.crun_fixed_addresses);
    EXPECT_EQ(parsed->ready_fd, 3);
    EXPECT_FALSE(parse_shim_command_line({"--id=x", "--bogus=1"}));
    EXPECT_FALSE(
        parse_shim_command_line({"--id=x", "--container-dir=/a", "--exec-root=/b", "--tty=yes"}));
    EXPECT_FALSE(parse_shim_command_line({"--id=x"}));
}

}  // namespace
}  // namespace corral::runtime
