#include "cli/system_docker_stream.h"

#include <gtest/gtest.h>

namespace corral::cli {
namespace {

TEST(StreamDemultiplexer, SplitsFramesArrivingInAnyPieces) {
    std::string wire = make_stream_frame(StreamId::stdout_stream, "hello\n") +
                       make_stream_frame(StreamId::stderr_stream, "oops\n") +
                       make_stream_frame(StreamId::stdout_stream, "") +
                       make_stream_frame(StreamId::stdout_stream, std::string(70000, 'x'));
    for (size_t step : {size_t{1}, size_t{3}, size_t{8}, size_t{9}, size_t{4096}, wire.size()}) {
        std::string out;
        std::string err;
        StreamDemultiplexer demultiplexer(
            [&](StreamId stream, std::string_view data) -> ErrorOr<void> {
                (stream == StreamId::stderr_stream ? err : out) += data;
                return {};
            });
        for (size_t i = 0; i < wire.size(); i += step)
            ASSERT_TRUE(demultiplexer.feed(std::string_view(wire).substr(i, step)));
        EXPECT_EQ(out, "hello\n" + std::string(70000, 'x')) << "step " << step;
        EXPECT_EQ(err, "oops\n");
        EXPECT_TRUE(demultiplexer.at_frame_boundary());
    }
}

TEST(StreamDemultiplexer, RejectsBadHeader) {
    StreamDemultiplexer demultiplexer(
        [](StreamId, std::string_view) -> ErrorOr<void> { return {}; });
    EXPECT_FALSE(demultiplexer.feed(std::string("\x07\0\0\0\0\0\0\x01x", 9)));
    StreamDemultiplexer partial([](StreamId, std::string_view) -> ErrorOr<void> { return {}; });
    ASSERT_TRUE(
        partial.feed(std::string("\x01\0\0\0\0\0\0\x05"
                                 "ab",
                                 10)));
    EXPECT_FALSE(partial.at_frame_boundary());
}

TEST(StreamDemultiplexer, FrameHeaderIsBigEndianSize) {
    std::string frame = make_stream_frame(StreamId::stderr_stream, std::string(0x010203, 'a'));
    EXPECT_EQ(frame[0], 2);
    EXPECT_EQ(frame.substr(1, 3), std::string(3, '\0'));
    EXPECT_EQ(static_cast<unsigned char>(frame[5]), 0x01);
    EXPECT_EQ(static_cast<unsigned char>(frame[6]), 0x02);
    EXPECT_EQ(static_cast<unsigned char>(frame[7]), 0x03);
}

TEST(JsonSequenceSplitter, SplitsConcatenatedValues) {
    std::string wire =
        "{\"status\":\"a}\\\"{\"}\n{\"id\":\"x\",\"progressDetail\":{}}\r\n[1,[2]]{\"stream\":"
        "\"Loaded image: b\\n\"}";
    for (size_t step = 1; step <= wire.size(); ++step) {
        JsonSequenceSplitter splitter;
        std::vector<std::string> values;
        for (size_t i = 0; i < wire.size(); i += step) {
            auto got = splitter.feed(std::string_view(wire).substr(i, step));
            ASSERT_TRUE(got);
            values.insert(values.end(), got->begin(), got->end());
        }
        ASSERT_EQ(values.size(), 4u) << "step " << step;
        EXPECT_EQ(values[0], "{\"status\":\"a}\\\"{\"}");
        EXPECT_EQ(values[2], "[1,[2]]");
        EXPECT_FALSE(splitter.has_partial());
    }
}

TEST(JsonSequenceSplitter, RejectsGarbageAndOversizedValues) {
    JsonSequenceSplitter splitter;
    EXPECT_FALSE(splitter.feed("x{}"));
    JsonSequenceSplitter small(16);
    auto result = small.feed("{\"a\":\"" + std::string(100, 'b'));
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().kind(), ErrorKind::too_large);
}

}  // namespace
}  // namespace corral::cli
