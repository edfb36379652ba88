#include "config/template.h"

#include <gtest/gtest.h>

namespace corral::config {
namespace {

TEST(Template, VariablesAndConditions) {
    std::map<std::string, std::string> variables{{"A", "x"}, {"ARCH", "amd64"}, {"EMPTY", ""}};
    EXPECT_EQ(*render_template("a={{.A}} b={{ .A }}", variables), "a=x b=x");
    EXPECT_EQ(*render_template("{{if eq \"amd64\" .ARCH}}yes{{else}}no{{end}}", variables), "yes");
    EXPECT_EQ(*render_template("{{if ne \"amd64\" .ARCH}}yes{{else}}no{{end}}", variables), "no");
    EXPECT_EQ(*render_template("{{if .EMPTY}}set{{else}}empty{{end}}", variables), "empty");
    EXPECT_EQ(*render_template("{{if .UNSET}}set{{end}}.", variables), ".");
    EXPECT_EQ(*render_template("{{if .A}}{{if eq .A \"x\"}}in{{end}}{{end}}", variables), "in");
}

TEST(Template, TrimMarkersEatWhitespace) {
    std::map<std::string, std::string> variables{{"ON", "true"}};
    EXPECT_EQ(
        *render_template("a:\n  {{- if eq \"true\" .ON}}\n  b: 1\n  {{- end}}\nc: 2\n", variables),
        "a:\n  b: 1\nc: 2\n");
    EXPECT_EQ(*render_template("x:\n  {{if .ON -}}\n  y: 1\n  {{end -}}\n  z: 2\n", variables),
              "x:\n  y: 1\n  z: 2\n");
}

TEST(Template, ErrorsNameTheLine) {
    std::map<std::string, std::string> variables;
    auto unknown = render_template("a\nb: {{.MISSING}}\n", variables);
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().message(), "template: line 2: unknown variable .MISSING");
    EXPECT_FALSE(render_template("{{if .A}}never closed", variables));
    EXPECT_FALSE(render_template("{{end}}", variables));
    EXPECT_FALSE(render_template("{{range .A}}{{end}}", variables));
    EXPECT_FALSE(render_template("{{.A", variables));
}

}  // namespace
}  // namespace corral::config
