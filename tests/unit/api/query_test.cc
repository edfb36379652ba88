#include "api/query.h"

#include <gtest/gtest.h>

namespace corral::api {
namespace {

TEST(PercentDecode, DecodesEscapes) {
    EXPECT_EQ(percent_decode("a%20b%2Fc", false).value(), "a b/c");
    EXPECT_EQ(percent_decode("a+b", true).value(), "a b");
    EXPECT_EQ(percent_decode("a+b", false).value(), "a+b");
    EXPECT_TRUE(percent_decode("%", false).is_error());
    EXPECT_TRUE(percent_decode("%4", false).is_error());
    EXPECT_TRUE(percent_decode("%zz", false).is_error());
    EXPECT_EQ(percent_decode("%41", false).value(), "A");
}

TEST(ParseQuery, KeepsOrderAndRepeats) {
    auto pairs = parse_query("names=a&names=b%3Alatest&all=1&&flag").value();
    ASSERT_EQ(pairs.size(), 4u);
    EXPECT_EQ(pairs[0], (std::pair<std::string, std::string>{"names", "a"}));
    EXPECT_EQ(pairs[1], (std::pair<std::string, std::string>{"names", "b:latest"}));
    EXPECT_EQ(pairs[2], (std::pair<std::string, std::string>{"all", "1"}));
    EXPECT_EQ(pairs[3], (std::pair<std::string, std::string>{"flag", ""}));
}

TEST(ParseQuery, LimitsParameterCount) {
    std::string query;
    for (size_t i = 0; i <= max_query_parameters; ++i)
        query += "k" + std::to_string(i) + "=1&";
    EXPECT_TRUE(parse_query(query).is_error());
}

TEST(ParseBool, FollowsTheEngineApi) {
    for (const char* falsy : {"", "0", "no", "false", "FALSE", "none", "No"})
        EXPECT_FALSE(parse_bool(falsy)) << falsy;
    for (const char* truthy : {"1", "true", "True", "yes", "anything"})
        EXPECT_TRUE(parse_bool(truthy)) << truthy;
}

TEST(ParseInt, ChecksSyntaxAndRange) {
    EXPECT_EQ(parse_int("10", "t").value(), 10);
    EXPECT_EQ(parse_int("-1", "t", -1).value(), -1);
    auto bad = parse_int("1x", "t");
    ASSERT_TRUE(bad.is_error());
    EXPECT_NE(bad.error().message().find("t"), std::string::npos);
    EXPECT_TRUE(parse_int("", "t").is_error());
    EXPECT_TRUE(parse_int("5", "t", 0, 4).is_error());
    EXPECT_TRUE(parse_int("99999999999999999999", "t").is_error());
}

TEST(ParseFilters, DecodesMapForm) {
    // As the docker CLI sends `ps -a --filter label=a=b --filter name=web --filter status=exited`.
    auto filters =
        parse_filters(R"({"label":{"a=b":true},"name":{"web":true},"status":{"exited":true}})")
            .value();
    EXPECT_EQ(filters["label"], std::vector<std::string>{"a=b"});
    EXPECT_EQ(filters["name"], std::vector<std::string>{"web"});
    EXPECT_EQ(filters["status"], std::vector<std::string>{"exited"});
}

TEST(ParseFilters, DecodesLegacyListForm) {
    auto filters = parse_filters(R"({"status":["running","exited"]})").value();
    EXPECT_EQ(filters["status"], (std::vector<std::string>{"exited", "running"}));
}

TEST(ParseFilters, FalseValuesAreDropped) {
    auto filters = parse_filters(R"({"status":{"exited":false,"running":true}})").value();
    EXPECT_EQ(filters["status"], std::vector<std::string>{"running"});
}

TEST(ParseFilters, RejectsMalformedInput) {
    EXPECT_TRUE(parse_filters("{").is_error());
    EXPECT_TRUE(parse_filters("[]").is_error());
    EXPECT_TRUE(parse_filters(R"({"a":1})").is_error());
    EXPECT_TRUE(parse_filters(R"({"a":[1]})").is_error());
    EXPECT_TRUE(parse_filters(R"({"a":{"b":"yes"}})").is_error());
    EXPECT_TRUE(parse_filters("").value().empty());
}

TEST(CheckFilterKeys, NamesTheUnknownFilter) {
    auto filters = parse_filters(R"({"bogus":["x"]})").value();
    auto result = check_filter_keys(filters, {"label"});
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().message(), "invalid filter 'bogus'");
    EXPECT_FALSE(check_filter_keys(filters, {"bogus"}).is_error());
}

TEST(ParseTimestamp, ReadsUnixSecondsAndRfc3339) {
    EXPECT_EQ(parse_timestamp("", "since").value(), 0);
    EXPECT_EQ(parse_timestamp("1795839288", "since").value(), 1795839288LL * 1000000000);
    EXPECT_EQ(parse_timestamp("1795839288.5", "since").value(),
              1795839288LL * 1000000000 + 500000000);
    EXPECT_EQ(parse_timestamp("1795839288.000000001", "since").value(),
              1795839288LL * 1000000000 + 1);
    EXPECT_EQ(parse_timestamp("1970-01-01T00:00:10Z", "since").value(), 10LL * 1000000000);
    EXPECT_EQ(parse_timestamp("1970-01-01T01:00:10+01:00", "since").value(), 10LL * 1000000000);
    EXPECT_EQ(parse_timestamp("1970-01-01T00:00:10.25Z", "since").value(),
              10LL * 1000000000 + 250000000);
    EXPECT_TRUE(parse_timestamp("yesterday", "since").is_error());
    // Found by the fuzzer: past 2262 the nanoseconds overflow int64_t.
    EXPECT_TRUE(parse_timestamp("15594135941", "since").is_error());
    EXPECT_TRUE(parse_timestamp("9999-12-31T23:59:59Z", "since").is_error());
    EXPECT_TRUE(parse_timestamp("1.", "since").is_error());
    EXPECT_TRUE(parse_timestamp("1.1234567891", "since").is_error());
}

}  // namespace
}  // namespace corral::api
