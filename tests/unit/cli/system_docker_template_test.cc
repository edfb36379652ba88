#include "cli/system_docker_template.h"

#include <gtest/gtest.h>

namespace corral::cli {
namespace {

const Json container = Json::parse(R"({
    "Id": "70a871967d53",
    "Name": "/sleeper",
    "State": {"Status": "exited", "Running": false, "ExitCode": 3, "Pid": 0},
    "Config": {"Image": "busybox", "Cmd": ["sleep", "1000"], "Labels": {"b": "2", "a.b": "1"},
               "Env": null},
    "Mounts": [{"Source": "/a", "Destination": "/x"}, {"Source": "/b", "Destination": "/y"}],
    "HostConfig": {"Memory": 536870912, "NanoCpus": 1.5}
})");

std::string render(std::string_view text) {
    auto parsed = Template::parse(text);
    if (parsed.is_error())
        return "parse error: " + parsed.error().message();
    auto out = parsed->execute(container);
    if (out.is_error())
        return "exec error: " + out.error().message();
    return *out;
}

TEST(Template, FieldPaths) {
    EXPECT_EQ(render("{{.State.Status}}"), "exited");
    EXPECT_EQ(render("{{.Id}}"), "70a871967d53");
    EXPECT_EQ(render("{{.State.ExitCode}} {{.State.Running}}"), "3 false");
    EXPECT_EQ(render("id={{ .Id }}!"), "id=70a871967d53!");
    EXPECT_EQ(render("{{.HostConfig.Memory}}"), "536870912");
    EXPECT_EQ(render("{{.Missing}}"), "<no value>");
    EXPECT_EQ(render("{{.Config.Env}}"), "<nil>");
    EXPECT_EQ(render("{{.Config.Cmd}}"), "[sleep 1000]");
    EXPECT_EQ(render("{{.Config.Labels}}"), "map[a.b:1 b:2]");
}

TEST(Template, Functions) {
    EXPECT_EQ(render("{{json .Config.Cmd}}"), "[\"sleep\",\"1000\"]");
    EXPECT_EQ(render("{{json .State}}"),
              "{\"Status\":\"exited\",\"Running\":false,\"ExitCode\":3,\"Pid\":0}");
    EXPECT_EQ(render("{{index .Config.Labels \"a.b\"}}"), "1");
    EXPECT_EQ(render("{{index .Config.Cmd 1}}"), "1000");
    EXPECT_EQ(render("{{join .Config.Cmd \",\"}}"), "sleep,1000");
    EXPECT_EQ(render("{{len .Mounts}}"), "2");
    EXPECT_EQ(render("{{upper .State.Status}}"), "EXITED");
    EXPECT_EQ(render("{{.State.Status | upper}}"), "EXITED");
    EXPECT_EQ(render("{{json (index .Mounts 0)}}"), "{\"Source\":\"/a\",\"Destination\":\"/x\"}");
}

TEST(Template, Blocks) {
    EXPECT_EQ(render("{{range .Mounts}}{{.Source}}:{{.Destination}} {{end}}"), "/a:/x /b:/y ");
    EXPECT_EQ(render("{{if .State.Running}}up{{else}}down{{end}}"), "down");
    EXPECT_EQ(render("{{with .State}}{{.Status}}{{end}}"), "exited");
    EXPECT_EQ(render("{{range .Config.Labels}}{{.}};{{end}}"), "1;2;");
    EXPECT_EQ(render("a {{- .Id -}} b"), "a70a871967d53b");
}

TEST(Template, Errors) {
    EXPECT_TRUE(render("{{.Id").starts_with("parse error"));
    EXPECT_TRUE(render("{{nosuch .Id}}").starts_with("parse error"));
    EXPECT_TRUE(render("{{if .Id}}x").starts_with("parse error"));
    EXPECT_TRUE(render("{{end}}").starts_with("parse error"));
    EXPECT_TRUE(render("{{.Id.Deeper}}").starts_with("exec error"));
    EXPECT_TRUE(render("{{index .Config.Cmd 5}}").starts_with("exec error"));
}

}  // namespace
}  // namespace corral::cli
