#include "engine/stream_io.h"

#include <gtest/gtest.h>

namespace corral::engine {
namespace {

TEST(StreamIo, FrameHeader) {
    auto framed = frame(LogStream::stderr_stream, "hello");
    ASSERT_EQ(framed.size(), 13u);
    EXPECT_EQ(framed.substr(0, 8), std::string("\x02\0\0\0\0\0\0\x05", 8));
    EXPECT_EQ(framed.substr(8), "hello");
    auto big = frame(LogStream::stdout_stream, std::string(0x10203, 'x'));
    EXPECT_EQ(big.substr(0, 8), std::string("\x01\0\0\0\0\x01\x02\x03", 8));
}

TEST(StreamIo, DetachKeys) {
    EXPECT_EQ(*parse_detach_keys(""), std::string("\x10\x11"));
    EXPECT_EQ(*parse_detach_keys("ctrl-a,x"), std::string("\x01x"));
    EXPECT_EQ(*parse_detach_keys("ctrl-@"), std::string(1, '\0'));
    EXPECT_EQ(*parse_detach_keys("ctrl-["), std::string("\x1b"));
    EXPECT_TRUE(parse_detach_keys("ctrl-").is_error());
    EXPECT_TRUE(parse_detach_keys("alt-x").is_error());
    EXPECT_TRUE(parse_detach_keys("ab").is_error());
}

TEST(StreamIo, DetachMatcherAcrossChunks) {
    DetachMatcher matcher("\x10\x11");
    auto first = matcher.feed("abc\x10");
    EXPECT_EQ(first.forward, "abc");
    EXPECT_FALSE(first.detach);
    // The held ctrl-p turns out to be data.
    auto second = matcher.feed("z");
    EXPECT_EQ(second.forward, "\x10z");
    EXPECT_FALSE(second.detach);
    auto third = matcher.feed("12\x10");
    EXPECT_EQ(third.forward, "12");
    auto fourth = matcher.feed("\x11rest");
    EXPECT_TRUE(fourth.detach);
    EXPECT_EQ(fourth.forward, "");
    DetachMatcher at_end("\x10\x11");
    at_end.feed("x\x10");
    EXPECT_EQ(at_end.flush(), "\x10");
    DetachMatcher none("");
    EXPECT_EQ(none.feed("\x10\x11").forward, "\x10\x11");
}

}  // namespace
}  // namespace corral::engine
