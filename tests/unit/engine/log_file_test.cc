#include "engine/log_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <thread>

#include "base/fs.h"
#include "base/sys.h"
#include "engine/notifier.h"

namespace corral::engine {
namespace {

std::string line(const std::string& stream, const std::string& text, const std::string& time) {
    return "{\"log\":\"" + text + "\\n\",\"stream\":\"" + stream + "\",\"time\":\"" + time +
           "\"}\n";
}

struct Collected {
    std::vector<std::pair<LogStream, std::string>> items;
    LogSink sink() {
        return [this](LogStream stream, std::string_view data) -> ErrorOr<void> {
            items.emplace_back(stream, std::string(data));
            return {};
        };
    }
};

TEST(LogFile, Timestamps) {
    auto parsed = parse_timestamp("2024-02-29T12:34:56.123456789Z");
    ASSERT_FALSE(parsed.is_error());
    EXPECT_EQ(format_timestamp(*parsed), "2024-02-29T12:34:56.123456789Z");
    EXPECT_EQ(*parse_timestamp("2024-02-29T13:34:56.5+01:00"),
              *parse_timestamp("2024-02-29T12:34:56.500000000Z"));
    EXPECT_EQ(format_timestamp(0), "1970-01-01T00:00:00.000000000Z");
    EXPECT_TRUE(parse_timestamp("2024-02-29").is_error());
    EXPECT_TRUE(parse_timestamp("2024-02-29T12:34:56").is_error());
    EXPECT_TRUE(parse_timestamp("2024-13-29T12:34:56Z").is_error());
}

TEST(LogFile, ParseLine) {
    auto entry = parse_log_line(
        "{\"log\":\"a\\tb\\n\",\"stream\":\"stderr\",\"time\":"
        "\"2024-01-01T00:00:00Z\"}");
    ASSERT_FALSE(entry.is_error());
    EXPECT_EQ(entry->data, "a\tb\n");
    EXPECT_EQ(entry->stream, LogStream::stderr_stream);
    EXPECT_TRUE(parse_log_line("not json").is_error());
    EXPECT_TRUE(parse_log_line("{\"stream\":\"stdout\"}").is_error());
}

class LogFileRead : public ::testing::Test {
  protected:
    void SetUp() override {
        auto made = fs::TempDir::create("/tmp", "engine-log");
        ASSERT_FALSE(made.is_error());
        dir_.emplace(std::move(made).release_value());
        path_ = dir_->path() + "/c-json.log";
        // Rotated file .1 holds the older lines.
        ASSERT_FALSE(
            fs::write_file_atomic(path_ + ".1", line("stdout", "one", "2024-01-01T00:00:01Z") +
                                                    line("stderr", "two", "2024-01-01T00:00:02Z"))
                .is_error());
        ASSERT_FALSE(fs::write_file_atomic(
                         path_, line("stdout", "three", "2024-01-01T00:00:03Z") + "{torn\n" +
                                    line("stderr", "four", "2024-01-01T00:00:04Z"))
                         .is_error());
    }
    std::optional<fs::TempDir> dir_;
    std::string path_;
};

TEST_F(LogFileRead, AllStreamsTailSinceUntil) {
    Collected all;
    ASSERT_FALSE(read_logs(path_, {}, all.sink(), {}).is_error());
    ASSERT_EQ(all.items.size(), 4u);
    EXPECT_EQ(all.items[0].second, "one\n");
    EXPECT_EQ(all.items[3].second, "four\n");
    EXPECT_EQ(all.items[1].first, LogStream::stderr_stream);

    Collected stdout_only;
    ASSERT_FALSE(read_logs(path_, {.stderr_stream = false}, stdout_only.sink(), {}).is_error());
    ASSERT_EQ(stdout_only.items.size(), 2u);
    EXPECT_EQ(stdout_only.items[1].second, "three\n");

    Collected tail;
    ASSERT_FALSE(read_logs(path_, {.tail = 2}, tail.sink(), {}).is_error());
    ASSERT_EQ(tail.items.size(), 2u);
    EXPECT_EQ(tail.items[0].second, "three\n");

    Collected none;
    ASSERT_FALSE(read_logs(path_, {.tail = 0}, none.sink(), {}).is_error());
    EXPECT_TRUE(none.items.empty());

    Collected window;
    LogOptions options;
    options.since_ns = *parse_timestamp("2024-01-01T00:00:02Z");
    options.until_ns = *parse_timestamp("2024-01-01T00:00:03Z");
    options.timestamps = true;
    ASSERT_FALSE(read_logs(path_, options, window.sink(), {}).is_error());
    ASSERT_EQ(window.items.size(), 2u);
    EXPECT_EQ(window.items[0].second, "2024-01-01T00:00:02.000000000Z two\n");
}

TEST_F(LogFileRead, FollowUntilStopped) {
    std::atomic<bool> running = true;
    auto state = make_eventfd();
    ASSERT_FALSE(state.is_error());
    // The writer appends only after the reader has delivered the existing tail, so the new
    // lines are followed rather than read as part of the file's initial content.
    std::atomic<bool> tail_delivered = false;
    std::thread writer([&] {
        while (!tail_delivered.load())
            std::this_thread::yield();
        auto fd = sys::open(path_, O_WRONLY | O_APPEND);
        ASSERT_FALSE(fd.is_error());
        ASSERT_FALSE(
            sys::write_all(fd->get(), line("stdout", "five", "2024-01-01T00:00:05Z")).is_error());
        // A line written in two parts is delivered once, whole.
        auto six = line("stdout", "six", "2024-01-01T00:00:06Z");
        ASSERT_FALSE(sys::write_all(fd->get(), six.substr(0, 10)).is_error());
        ASSERT_FALSE(sys::write_all(fd->get(), six.substr(10)).is_error());
        running = false;
        signal_eventfd(state->get());
    });
    Collected followed;
    FollowContext follow;
    follow.running = [&] { return running.load(); };
    follow.state_fd = state->get();
    auto collect = followed.sink();
    LogSink sink = [&](LogStream stream, std::string_view data) -> ErrorOr<void> {
        auto result = collect(stream, data);
        tail_delivered = true;
        return result;
    };
    auto result = read_logs(path_, {.follow = true, .tail = 1}, sink, follow);
    writer.join();
    ASSERT_FALSE(result.is_error()) << result.error().message();
    ASSERT_EQ(followed.items.size(), 3u);
    EXPECT_EQ(followed.items[0].second, "four\n");
    EXPECT_EQ(followed.items[1].second, "five\n");
    EXPECT_EQ(followed.items[2].second, "six\n");
}

TEST_F(LogFileRead, FollowSeesRotation) {
    std::atomic<bool> running = true;
    auto state = make_eventfd();
    ASSERT_FALSE(state.is_error());
    Collected followed;
    std::thread writer([&] {
        // Rotate: current → .1 (the old .1 → .2), new current with a fresh line.
        ASSERT_FALSE(sys::rename(path_ + ".1", path_ + ".2").is_error());
        ASSERT_FALSE(sys::rename(path_, path_ + ".1").is_error());
        ASSERT_FALSE(fs::write_file_atomic(path_, line("stdout", "after", "2024-01-01T00:00:09Z"))
                         .is_error());
        running = false;
        signal_eventfd(state->get());
    });
    FollowContext follow;
    follow.running = [&] { return running.load(); };
    follow.state_fd = state->get();
    auto result = read_logs(path_, {.follow = true, .tail = 0}, followed.sink(), follow);
    writer.join();
    ASSERT_FALSE(result.is_error());
    ASSERT_EQ(followed.items.size(), 1u);
    EXPECT_EQ(followed.items[0].second, "after\n");
}

}  // namespace
}  // namespace corral::engine
