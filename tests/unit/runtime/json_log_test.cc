#include "runtime/json_log.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "support.h"

namespace corral::runtime {
namespace {

TEST(JsonLog, Rfc3339NanoTrimsTrailingZeros) {
    EXPECT_EQ(format_rfc3339_nano(0), "1970-01-01T00:00:00Z");
    EXPECT_EQ(format_rfc3339_nano(1700000000123456789), "2023-11-14T22:13:20.123456789Z");
    EXPECT_EQ(format_rfc3339_nano(1700000000120000000), "2023-11-14T22:13:20.12Z");
}

class JsonLogFile : public ::testing::Test {
  protected:
    void SetUp() override {
        auto dir = fs::TempDir::create("/tmp", "corral-jsonlog");
        ASSERT_TRUE(dir);
        dir_ = std::make_unique<fs::TempDir>(std::move(*dir));
        path_ = dir_->path() + "/c-json.log";
    }
    std::vector<nlohmann::json> entries(const std::string& suffix = "") {
        std::vector<nlohmann::json> result;
        for (const auto& line : testing::read_lines(path_ + suffix))
            if (!line.empty())
                result.push_back(nlohmann::json::parse(line));
        return result;
    }
    std::unique_ptr<fs::TempDir> dir_;
    std::string path_;
};

TEST_F(JsonLogFile, SplitsAtNewlinesAndKeepsPartialLines) {
    auto log = JsonLogWriter::open(path_, 0, 1);
    ASSERT_TRUE(log);
    ASSERT_TRUE(log->write("stdout", "a\nb", 1000000000));
    ASSERT_TRUE(log->write("stderr", "err\n", 1000000000));
    ASSERT_TRUE(log->write("stdout", "c\n\"quoted\" \x01\xff\n", 2000000000));
    ASSERT_TRUE(log->write("stdout", "unfinished", 3000000000));
    ASSERT_TRUE(log->flush(4000000000));
    auto lines = entries();
    ASSERT_EQ(lines.size(), 5u);
    EXPECT_EQ(lines[0]["log"], "a\n");
    EXPECT_EQ(lines[0]["stream"], "stdout");
    EXPECT_EQ(lines[0]["time"], "1970-01-01T00:00:01Z");
    EXPECT_EQ(lines[1]["log"], "err\n");
    EXPECT_EQ(lines[1]["stream"], "stderr");
    EXPECT_EQ(lines[2]["log"], "bc\n");
    // Control characters are escaped, invalid UTF-8 replaced.
    EXPECT_EQ(lines[3]["log"], "\"quoted\" \x01\xEF\xBF\xBD\n");
    EXPECT_EQ(lines[4]["log"], "unfinished");
    EXPECT_EQ(lines[4]["time"], "1970-01-01T00:00:04Z");
}

TEST_F(JsonLogFile, LongLinesAreWrittenIn16KiBPieces) {
    auto log = JsonLogWriter::open(path_, 0, 1);
    ASSERT_TRUE(log);
    std::string line(40000, 'x');
    line += '\n';
    ASSERT_TRUE(log->write("stdout", line, 1));
    auto lines = entries();
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0]["log"].get<std::string>().size(), 16384u);
    EXPECT_EQ(lines[1]["log"].get<std::string>().size(), 16384u);
    EXPECT_EQ(lines[2]["log"].get<std::string>(), std::string(40000 - 32768, 'x') + "\n");
}

TEST_F(JsonLogFile, RotationKeepsMaxFiles) {
    auto log = JsonLogWriter::open(path_, 500, 3);
    ASSERT_TRUE(log);
    for (int i = 0; i < 100; ++i)
        ASSERT_TRUE(log->write("stdout", "message " + std::to_string(i) + "\n", 1));
    EXPECT_TRUE(*fs::exists(path_ + ".1"));
    EXPECT_TRUE(*fs::exists(path_ + ".2"));
    EXPECT_FALSE(*fs::exists(path_ + ".3"));
    auto current = entries();
    ASSERT_FALSE(current.empty());
    EXPECT_EQ(current.back()["log"], "message 99\n");
    auto previous = entries(".1");
    ASSERT_FALSE(previous.empty());
    // Files are contiguous: .1 ends right before the current one starts.
    std::string last_previous = previous.back()["log"];
    std::string first_current = current.front()["log"];
    int a = std::stoi(last_previous.substr(8));
    int b = std::stoi(first_current.substr(8));
    EXPECT_EQ(a + 1, b);
}

TEST_F(JsonLogFile, SingleFileIsTruncated) {
    auto log = JsonLogWriter::open(path_, 300, 1);
    ASSERT_TRUE(log);
    for (int i = 0; i < 50; ++i)
        ASSERT_TRUE(log->write("stdout", "message " + std::to_string(i) + "\n", 1));
    EXPECT_FALSE(*fs::exists(path_ + ".1"));
    auto size = sys::stat(path_);
    ASSERT_TRUE(size);
    EXPECT_LT(size->st_size, 400);
    EXPECT_EQ(entries().back()["log"], "message 49\n");
}

TEST_F(JsonLogFile, AppendsToAnExistingLog) {
    {
        auto log = JsonLogWriter::open(path_, 0, 1);
        ASSERT_TRUE(log);
        ASSERT_TRUE(log->write("stdout", "first run\n", 1));
    }
    auto log = JsonLogWriter::open(path_, 0, 1);
    ASSERT_TRUE(log);
    ASSERT_TRUE(log->write("stdout", "second run\n", 2));
    EXPECT_EQ(entries().size(), 2u);
}

}  // namespace
}  // namespace corral::runtime
