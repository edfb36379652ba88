#include "config/yaml.h"

#include <gtest/gtest.h>

#include "config/tree.h"

namespace corral::config {
namespace {

TEST(Yaml, ScalarsKeepTheirTextAndQuoting) {
    auto value = parse_yaml("a: 0755\nb: \"0755\"\nc: true\nd: 'yes'\ne:\n", "f.yml");
    ASSERT_TRUE(value) << value.error().message();
    EXPECT_EQ(value->find("a")->text(), "0755");
    EXPECT_FALSE(value->find("a")->quoted());
    EXPECT_EQ(value->find("a")->scalar_type(), ScalarType::integer);
    EXPECT_EQ(*value->find("a")->as_int(), 0755);
    EXPECT_TRUE(value->find("b")->quoted());
    EXPECT_EQ(value->find("b")->scalar_type(), ScalarType::string);
    EXPECT_EQ(value->find("c")->scalar_type(), ScalarType::boolean);
    EXPECT_EQ(value->find("d")->scalar_type(), ScalarType::string);
    EXPECT_TRUE(value->find("e")->is_null());
}

TEST(Yaml, MarksAreOneBasedWithTheFileName) {
    auto value = parse_yaml("rancher:\n  debug: true\n", "cc.yml");
    ASSERT_TRUE(value);
    const Value* debug = lookup(*value, "rancher.debug");
    ASSERT_TRUE(debug);
    EXPECT_EQ(debug->mark().file, "cc.yml");
    EXPECT_EQ(debug->mark().line, 2);
    EXPECT_EQ(debug->mark().column, 10);
}

TEST(Yaml, SyntaxErrorsNameFileLineAndColumn) {
    auto value = parse_yaml("a: b\n  c: [d\n", "bad.yml");
    ASSERT_FALSE(value);
    EXPECT_EQ(value.error().message().rfind("bad.yml:", 0), 0u) << value.error().message();
}

TEST(Yaml, DuplicateKeysAreErrors) {
    auto value = parse_yaml("a: 1\na: 2\n", "dup.yml");
    ASSERT_FALSE(value);
    EXPECT_NE(value.error().message().find("dup.yml:2:1: duplicate key `a`"), std::string::npos)
        << value.error().message();
}

TEST(Yaml, AliasBombsHitTheNodeLimit) {
    std::string text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    char previous = 'a';
    for (char name = 'b'; name <= 'j'; ++name) {
        text += std::string(1, name) + ": &" + name + " [";
        for (int i = 0; i < 10; ++i)
            text += std::string(i ? ", *" : "*") + previous;
        text += "]\n";
        previous = name;
    }
    auto value = parse_yaml(text, "bomb.yml");
    ASSERT_FALSE(value);
    EXPECT_EQ(value.error().kind(), ErrorKind::too_large);
}

TEST(Yaml, EmitRoundTripsStructureAndStrings) {
    std::string text =
        "hostname: \"123\"\nrancher:\n  debug: true\n  sysctl:\n    fs.file-max: 100\n"
        "write_files:\n  - path: /x\n    permissions: \"0755\"\n    content: |\n      line one\n"
        "      line two\n  - path: \"\"\nruncmd:\n  - [touch, /a]\n  - []\n";
    auto first = parse_yaml(text);
    ASSERT_TRUE(first);
    std::string emitted = emit_yaml(*first);
    auto second = parse_yaml(emitted);
    ASSERT_TRUE(second) << emitted;
    EXPECT_TRUE(*first == *second) << emitted;
    EXPECT_TRUE(lookup(*second, "hostname")->quoted()) << emitted;
    EXPECT_EQ(lookup(*second, "hostname")->scalar_type(), ScalarType::string);
    EXPECT_EQ(second->find("write_files")->items()[0].find("content")->text(),
              "line one\nline two\n");
}

TEST(Yaml, EmptyDocumentIsNull) {
    auto value = parse_yaml("#cloud-config\n");
    ASSERT_TRUE(value);
    EXPECT_TRUE(value->is_null());
    EXPECT_EQ(emit_yaml(*value), "{}\n");
}

}  // namespace
}  // namespace corral::config

namespace corral::config {
namespace {

TEST(Yaml, InvalidUtf8IsRejectedWithItsPosition) {
    auto value = parse_yaml("a: ok\nb: caf\xc3\xa9 \xff\n", "bytes.yml");
    ASSERT_FALSE(value);
    EXPECT_EQ(value.error().message(),
              "bytes.yml:2:10: not valid YAML text (control character or invalid UTF-8)");
    EXPECT_TRUE(parse_yaml("name: caf\xc3\xa9 \xf0\x9f\x90\x84\n"));
    EXPECT_FALSE(parse_yaml("a: \xc0\xaf\n"));      // overlong
    EXPECT_FALSE(parse_yaml("a: \xed\xa0\x80\n"));  // surrogate
}

}  // namespace
}  // namespace corral::config
