#include "config/datasource.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"

namespace corral::config {
namespace {

class Datasource : public ::testing::Test {
  protected:
    void SetUp() override {
        auto dir = fs::TempDir::create("/tmp", "datasource");
        ASSERT_TRUE(dir);
        dir_.emplace(std::move(*dir));
        paths_ = LayerPaths::under(dir_->path() + "/root");
        ASSERT_TRUE(fs::mkdir_p(fs::dirname(paths_.cmdline_file)));
        ASSERT_TRUE(fs::write_file_atomic(paths_.cmdline_file, "quiet\n"));
    }
    std::string write(const std::string& relative, const std::string& text) {
        std::string path = dir_->path() + "/" + relative;
        EXPECT_TRUE(fs::mkdir_p(fs::dirname(path)));
        EXPECT_TRUE(fs::write_file_atomic(path, text));
        return path;
    }
    std::optional<fs::TempDir> dir_;
    LayerPaths paths_;
};

TEST(UserDataKind, Classify) {
    EXPECT_EQ(*classify_user_data("#cloud-config\nhostname: a\n"), UserData::Kind::cloud_config);
    EXPECT_EQ(*classify_user_data("#!/bin/sh\necho hi\n"), UserData::Kind::script);
    EXPECT_EQ(*classify_user_data(" \n\t"), UserData::Kind::empty);
    EXPECT_FALSE(classify_user_data("hostname: a\n"));
}

TEST_F(Datasource, DiskAndFileSources) {
    write("cidata/user-data", "#cloud-config\nhostname: nocloud\n");
    write("config-2/openstack/latest/user_data", "#cloud-config\nhostname: drive\n");
    auto nocloud = read_datasource("nocloud:" + dir_->path() + "/cidata", paths_);
    ASSERT_TRUE(nocloud && *nocloud);
    EXPECT_EQ((*nocloud)->source, dir_->path() + "/cidata/user-data");
    EXPECT_EQ((*nocloud)->kind, UserData::Kind::cloud_config);
    auto drive = read_datasource("configdrive:" + dir_->path() + "/config-2", paths_);
    ASSERT_TRUE(drive && *drive);
    EXPECT_NE((*drive)->text.find("drive"), std::string::npos);
    auto absent = read_datasource("file:" + dir_->path() + "/none.yml", paths_);
    ASSERT_TRUE(absent);
    EXPECT_FALSE(*absent);
    auto cmdline = read_datasource("cmdline", paths_);
    ASSERT_TRUE(cmdline);
    EXPECT_FALSE(*cmdline);
    EXPECT_FALSE(read_datasource("ec2", paths_));
}

TEST_F(Datasource, UnreachableUrlNamesItAndTheReason) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    socklen_t length = sizeof(address);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);  // nothing listens there now
    std::string url = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/cc.yml";
    auto result = read_datasource("url:" + url, paths_);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().message().rfind("GET " + url + ": ", 0), 0u)
        << result.error().message();
}

TEST_F(Datasource, SaveTakesTheFirstWithDataAndSkipsBrokenOnes) {
    std::string broken = write("broken.yml", "#cloud-config\nhostname: [\n");
    std::string good =
        write("good.yml", "#cloud-config\nhostname: saved\nrancher:\n  netwrk: {}\n");
    auto result = save_user_data(paths_, {"file:" + dir_->path() + "/absent.yml", "file:" + broken,
                                          "file:" + good, "file:" + broken});
    ASSERT_TRUE(result) << result.error().message();
    EXPECT_EQ(result->source, "file:" + good);
    EXPECT_EQ(result->written, paths_.cloud_config_dir + "/boot.yml");
    ASSERT_EQ(result->errors.size(), 1u);
    EXPECT_NE(result->errors[0].find("broken.yml:"), std::string::npos);
    ASSERT_EQ(result->problems.size(), 1u);
    EXPECT_EQ(result->problems[0].path, "rancher.netwrk");
    // The saved layer is what the next load merges.
    LoadOptions options;
    options.cmdline = "";
    EXPECT_EQ(load_config(paths_, options).typed().hostname, "saved");
    struct stat st;
    ASSERT_EQ(::stat(result->written.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(Datasource, ScriptsAreSavedBesideTheConfig) {
    std::string script = write("script", "#!/bin/sh\necho hi\n");
    auto result = save_user_data(paths_, {"file:" + script});
    ASSERT_TRUE(result);
    EXPECT_EQ(result->written, fs::dirname(paths_.cloud_config_file) + "/cloud-config-script");
    auto text = fs::read_file(result->written);
    ASSERT_TRUE(text);
    EXPECT_EQ(*text, "#!/bin/sh\necho hi\n");
}

TEST_F(Datasource, NothingFoundIsNotAnError) {
    auto result = save_user_data(paths_, {"nocloud:" + dir_->path() + "/no-disk", "cmdline"});
    ASSERT_TRUE(result);
    EXPECT_TRUE(result->source.empty());
    EXPECT_TRUE(result->errors.empty());
}

}  // namespace
}  // namespace corral::config
