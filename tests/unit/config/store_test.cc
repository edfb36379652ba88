#include "config/store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "base/fs.h"
#include "base/sys.h"
#include "config/tree.h"
#include "config/yaml.h"

namespace corral::config {
namespace {

class Store : public ::testing::Test {
  protected:
    void SetUp() override {
        auto dir = fs::TempDir::create("/tmp", "config-store");
        ASSERT_TRUE(dir);
        root_.emplace(std::move(*dir));
        paths_ = LayerPaths::under(root_->path());
        ASSERT_TRUE(fs::mkdir_p(fs::dirname(paths_.os_config)));
        ASSERT_TRUE(fs::mkdir_p(fs::dirname(paths_.cmdline_file)));
        ASSERT_TRUE(fs::write_file_atomic(paths_.cmdline_file, "quiet\n"));
        ASSERT_TRUE(fs::write_file_atomic(paths_.os_config,
                                          "rancher:\n  shutdown_timeout: 60\n  network:\n    "
                                          "dns:\n      nameservers: [8.8.8.8]\n"));
    }
    std::string user_file() {
        auto text = fs::read_file(paths_.cloud_config_file);
        return text ? *text : "<missing>";
    }

    std::optional<fs::TempDir> root_;
    LayerPaths paths_;
};

TEST_F(Store, SetThenGetRoundTrip) {
    ASSERT_TRUE(
        set_key(paths_, "rancher.network.dns.nameservers", parse_value_text("[1.1.1.1, 9.9.9.9]")));
    ASSERT_TRUE(set_key(paths_, "rancher.debug", parse_value_text("true")));
    ASSERT_TRUE(set_key(paths_, "hostname", parse_value_text("box")));
    auto servers = get_key(paths_, "rancher.network.dns.nameservers");
    ASSERT_TRUE(servers);
    ASSERT_EQ(servers->items().size(), 2u);
    EXPECT_EQ(servers->items()[1].text(), "9.9.9.9");
    EXPECT_EQ(get_key(paths_, "rancher.shutdown_timeout")->text(), "60");  // from os-config
    EXPECT_TRUE(get_key(paths_, "rancher.nothing")->is_null());

    std::string text = user_file();
    EXPECT_EQ(text.rfind("#cloud-config\n", 0), 0u);
    auto parsed = parse_yaml(text);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(lookup(*parsed, "rancher.debug")->scalar_type(), ScalarType::boolean);
    EXPECT_EQ(lookup(*parsed, "hostname")->text(), "box");
    EXPECT_FALSE(lookup(*parsed, "rancher.shutdown_timeout"));  // defaults stay out
    auto st = sys::stat(paths_.cloud_config_file);
    ASSERT_TRUE(st);
    EXPECT_EQ(st->st_mode & 0777, 0600u);
}

TEST_F(Store, SetRefusesValuesThatWouldNotValidateAndWritesNothing) {
    ASSERT_TRUE(set_key(paths_, "hostname", Value::string("before")));
    std::string before = user_file();
    auto bad_type = set_key(paths_, "rancher.shutdown_timeout", parse_value_text("abc"));
    ASSERT_FALSE(bad_type);
    EXPECT_NE(bad_type.error().message().find(
                  "rancher.shutdown_timeout: expected an integer, got \"abc\""),
              std::string::npos)
        << bad_type.error().message();
    auto unknown = set_key(paths_, "rancher.netwrk.dns", parse_value_text("x"));
    ASSERT_FALSE(unknown);
    EXPECT_NE(unknown.error().message().find("rancher.netwrk: unknown key"), std::string::npos);
    EXPECT_EQ(user_file(), before);
    auto names = fs::list_dir(fs::dirname(paths_.cloud_config_file));
    ASSERT_TRUE(names);
    EXPECT_EQ(names->size(), 1u);  // no temp file left behind
}

TEST_F(Store, SetKeepsExistingProblemsButAddsNoNewOnes) {
    ASSERT_TRUE(fs::mkdir_p(fs::dirname(paths_.cloud_config_file)));
    ASSERT_TRUE(fs::write_file_atomic(paths_.cloud_config_file, "rancher:\n  legacy_key: 1\n"));
    EXPECT_TRUE(set_key(paths_, "rancher.console", Value::string("debian")));
    EXPECT_NE(user_file().find("legacy_key"), std::string::npos);
}

TEST_F(Store, MergeDeepMergesIntoTheUserFile) {
    ASSERT_TRUE(set_key(paths_, "rancher.network.dns.search", parse_value_text("[a.example]")));
    ASSERT_TRUE(
        merge_document(paths_,
                       "#cloud-config\nrancher:\n  network:\n    dns:\n"
                       "      nameservers: [4.4.4.4]\nssh_authorized_keys: [ssh-ed25519 K]\n",
                       "stdin"));
    EXPECT_EQ(get_key(paths_, "rancher.network.dns.search")->items()[0].text(), "a.example");
    EXPECT_EQ(get_key(paths_, "rancher.network.dns.nameservers")->items()[0].text(), "4.4.4.4");
    EXPECT_EQ(get_key(paths_, "ssh_authorized_keys")->items().size(), 1u);

    auto bad = merge_document(paths_, "rancher:\n  debug: maybe\n", "stdin");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message().find("rancher.debug: expected a boolean"), std::string::npos);
    auto syntax = merge_document(paths_, "rancher: [\n", "stdin");
    ASSERT_FALSE(syntax);
    EXPECT_EQ(syntax.error().message().rfind("stdin:", 0), 0u) << syntax.error().message();
}

TEST_F(Store, ExportHidesSecretsUnlessPrivateAndDefaultsUnlessFull) {
    ASSERT_TRUE(merge_document(paths_,
                               "rancher:\n  password: hunter2\n  ssh:\n    port: 2222\n    keys:\n"
                               "      rsa: PRIVATE\n  docker:\n    server_key: KEY\n    tls: true\n"
                               "  registry_auths:\n    reg.example:\n      password: p\n",
                               "stdin"));
    auto plain = export_config(paths_, {});
    ASSERT_TRUE(plain);
    std::string text = emit_yaml(*plain);
    EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
    EXPECT_EQ(text.find("PRIVATE"), std::string::npos);
    EXPECT_EQ(text.find("KEY"), std::string::npos);
    EXPECT_EQ(text.find("registry_auths"), std::string::npos);
    EXPECT_NE(text.find("2222"), std::string::npos);
    EXPECT_EQ(text.find("shutdown_timeout"), std::string::npos);

    ExportOptions everything{true, true};
    auto full = export_config(paths_, everything);
    ASSERT_TRUE(full);
    std::string full_text = emit_yaml(*full);
    EXPECT_NE(full_text.find("hunter2"), std::string::npos);
    EXPECT_NE(full_text.find("PRIVATE"), std::string::npos);
    EXPECT_NE(full_text.find("shutdown_timeout"), std::string::npos);
}

}  // namespace
}  // namespace corral::config
