#include "api/multiplex.h"

#include <gtest/gtest.h>

namespace corral::api {
namespace {

TEST(Frame, HasDockerHeader) {
    std::string framed = frame(StreamId::stderr_stream, "hello");
    ASSERT_EQ(framed.size(), 13u);
    EXPECT_EQ(framed[0], 2);
    EXPECT_EQ(framed[1], 0);
    EXPECT_EQ(framed[2], 0);
    EXPECT_EQ(framed[3], 0);
    EXPECT_EQ(static_cast<uint8_t>(framed[7]), 5);
    EXPECT_EQ(framed.substr(8), "hello");
    EXPECT_TRUE(frame(StreamId::stdout_stream, "").empty());
}

TEST(Frame, EncodesSizeBigEndian) {
    std::string data(0x010203, 'x');
    std::string framed = frame(StreamId::stdout_stream, data);
    EXPECT_EQ(static_cast<uint8_t>(framed[4]), 0x00);
    EXPECT_EQ(static_cast<uint8_t>(framed[5]), 0x01);
    EXPECT_EQ(static_cast<uint8_t>(framed[6]), 0x02);
    EXPECT_EQ(static_cast<uint8_t>(framed[7]), 0x03);
}

TEST(FrameDecoder, ReassemblesAcrossArbitrarySplits) {
    std::string wire = frame(StreamId::stdout_stream, "out line\n") +
                       frame(StreamId::stderr_stream, "err line\n") +
                       frame(StreamId::stdout_stream, "more");
    for (size_t step = 1; step <= wire.size(); ++step) {
        FrameDecoder decoder;
        std::vector<std::pair<StreamId, std::string>> frames;
        for (size_t i = 0; i < wire.size(); i += step) {
            auto got = decoder.feed(wire.substr(i, step)).value();
            frames.insert(frames.end(), got.begin(), got.end());
        }
        ASSERT_EQ(frames.size(), 3u) << "step " << step;
        EXPECT_EQ(frames[0].first, StreamId::stdout_stream);
        EXPECT_EQ(frames[0].second, "out line\n");
        EXPECT_EQ(frames[1].first, StreamId::stderr_stream);
        EXPECT_EQ(frames[1].second, "err line\n");
        EXPECT_EQ(frames[2].second, "more");
        EXPECT_TRUE(decoder.idle());
    }
}

TEST(FrameDecoder, RejectsBadStreamAndHugeFrames) {
    FrameDecoder decoder;
    std::string bad("\x07\0\0\0\0\0\0\x01x", 9);
    EXPECT_TRUE(decoder.feed(bad).is_error());
    FrameDecoder small;
    small.max_frame = 4;
    EXPECT_TRUE(small.feed(frame(StreamId::stdout_stream, "12345")).is_error());
}

}  // namespace
}  // namespace corral::api
