// `ros cloud-init` applying a cloud-config: the real `ros` binary (build-asan/bin/ros) against
// a temporary root. Kernel state (sethostname, mounts) is left alone under a root; the files
// it writes are checked.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/process.h"

namespace corral {
namespace {

std::string ros_binary() {
    return std::string(CORRAL_BINARY_DIR) + "/bin/ros";
}

class CloudInit : public ::testing::Test {
  protected:
    void SetUp() override {
        struct stat st;
        ASSERT_EQ(::stat(ros_binary().c_str(), &st), 0) << ros_binary() << " is missing";
        auto dir = fs::TempDir::create("/tmp", "ros-cloud-init-test");
        ASSERT_TRUE(dir);
        root_.emplace(std::move(*dir));
        ASSERT_TRUE(fs::mkdir_p(path("/proc/sys/net/ipv4")));
        ASSERT_TRUE(fs::write_file_atomic(path("/proc/cmdline"), "quiet\n"));
        ASSERT_TRUE(fs::write_file_atomic(path("/proc/sys/net/ipv4/ip_forward"), "0"));
        ASSERT_TRUE(fs::mkdir_p(path("/etc")));
        ASSERT_TRUE(fs::write_file_atomic(path("/etc/hosts"),
                                          "127.0.0.1 localhost\n127.0.1.1 old\n10.1.1.1 db\n"));
        ASSERT_TRUE(fs::write_file_atomic(
            path("/etc/passwd"), "root:x:0:0::/root:/bin/sh\nbob:x:1234:1300::/:/bin/sh\n"));
        ASSERT_TRUE(fs::write_file_atomic(path("/etc/group"), "root:x:0:\nstaff:x:50:\n"));
        ASSERT_TRUE(fs::mkdir_p(path("/usr/share/ros")));
        ASSERT_TRUE(fs::write_file_atomic(
            path("/usr/share/ros/os-config.yml"),
            "rancher:\n  cloud_init:\n    datasources:\n      - file:" + path("/seed/user-data") +
                "\n"));
        ASSERT_TRUE(fs::mkdir_p(path("/seed")));
    }

    std::string path(const std::string& inside) const { return root_->path() + inside; }

    RunResult ros(std::vector<std::string> arguments) {
        std::vector<std::string> argv{ros_binary(), "--root", root_->path()};
        argv.insert(argv.end(), arguments.begin(), arguments.end());
        auto result = run(argv);
        EXPECT_TRUE(result) << result.error().message();
        return result ? *result : RunResult{-1, {}, {}};
    }
    std::string read(const std::string& inside) {
        auto text = fs::read_file(path(inside));
        return text ? *text : "<missing " + inside + ">";
    }
    void user_data(const std::string& text) {
        ASSERT_TRUE(fs::write_file_atomic(path("/seed/user-data"), text));
    }

    std::optional<fs::TempDir> root_;
};

TEST_F(CloudInit, AppliesHostnameKeysFilesAndSysctl) {
    user_data(
        "#cloud-config\n"
        "hostname: box1\n"
        "ssh_authorized_keys:\n  - ssh-ed25519 AAAAC3Nza me@host\n"
        "write_files:\n"
        "  - path: /etc/motd\n    content: hello\n"
        "  - path: /opt/data/b64\n    encoding: b64\n    content: aGkgdGhlcmU=\n"
        "    permissions: '0600'\n    owner: bob:staff\n"
        "  - path: /etc/console-only\n    content: x\n    container: console\n"
        "  - path: /etc/appended\n    content: \"two\\n\"\n    append: true\n"
        "rancher:\n  sysctl:\n    net.ipv4.ip_forward: '1'\n");
    ASSERT_TRUE(fs::write_file_atomic(path("/etc/appended"), "one\n"));
    auto result = ros({"cloud-init"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.err.find("warning"), std::string::npos) << result.err;

    EXPECT_EQ(read("/etc/hostname"), "box1\n");
    EXPECT_EQ(read("/etc/hosts"), "127.0.0.1 localhost\n10.1.1.1 db\n127.0.1.1 box1\n");

    EXPECT_EQ(read("/home/rancher/.ssh/authorized_keys"), "ssh-ed25519 AAAAC3Nza me@host\n");
    struct stat keys;
    ASSERT_EQ(::stat(path("/home/rancher/.ssh/authorized_keys").c_str(), &keys), 0);
    EXPECT_EQ(keys.st_mode & 07777, 0600u);
    EXPECT_EQ(keys.st_uid, 1100u);
    struct stat ssh_dir;
    ASSERT_EQ(::stat(path("/home/rancher/.ssh").c_str(), &ssh_dir), 0);
    EXPECT_EQ(ssh_dir.st_mode & 07777, 0700u);
    EXPECT_EQ(ssh_dir.st_uid, 1100u);

    EXPECT_EQ(read("/etc/motd"), "hello");
    EXPECT_EQ(read("/opt/data/b64"), "hi there");
    struct stat b64;
    ASSERT_EQ(::stat(path("/opt/data/b64").c_str(), &b64), 0);
    EXPECT_EQ(b64.st_mode & 07777, 0600u);
    EXPECT_EQ(b64.st_uid, 1234u);
    EXPECT_EQ(b64.st_gid, 50u);
    EXPECT_EQ(read("/etc/appended"), "one\ntwo\n");
    // Files for a container are not the host's.
    EXPECT_FALSE(*fs::exists(path("/etc/console-only")));
    EXPECT_EQ(read("/proc/sys/net/ipv4/ip_forward"), "1");
    // The user data became the boot.yml layer, and the log has what was applied.
    EXPECT_NE(read("/var/lib/rancher/conf/cloud-config.d/boot.yml").find("hostname: box1"),
              std::string::npos);
    EXPECT_NE(read("/var/log/cloud-init.log").find("applied write_files[1] (/opt/data/b64)"),
              std::string::npos)
        << read("/var/log/cloud-init.log");

    // The console writes its own files inside its container.
    auto console = ros({"cloud-init", "--write-files-for", "console"});
    EXPECT_EQ(console.exit_code, 0) << console.err;
    EXPECT_EQ(read("/etc/console-only"), "x");
}

TEST_F(CloudInit, ABadItemIsAWarningNamingItAndTheRestApplies) {
    user_data(
        "#cloud-config\n"
        "hostname: survivor\n"
        "write_files:\n"
        "  - path: /etc/bad-encoding\n    encoding: b64\n    content: '@@@'\n"
        "  - path: /etc/bad-owner\n    content: x\n    owner: nobody-here\n"
        "  - path: relative/path\n    content: x\n"
        "  - path: /etc/bad-mode\n    content: x\n    permissions: '0999'\n"
        "  - path: /etc/good\n    content: fine\n"
        "rancher:\n  sysctl:\n    net.ipv4.no_such_knob: '1'\n    ../escape: '1'\n");
    auto result = ros({"cloud-init"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.err.find("warning: write_files[0] (/etc/bad-encoding).encoding:"),
              std::string::npos)
        << result.err;
    EXPECT_NE(result.err.find("warning: write_files[1] (/etc/bad-owner).owner: no user "
                              "`nobody-here`"),
              std::string::npos)
        << result.err;
    EXPECT_NE(result.err.find("warning: write_files[2].path: `relative/path`"), std::string::npos)
        << result.err;
    EXPECT_NE(result.err.find("warning: write_files[3] (/etc/bad-mode).permissions:"),
              std::string::npos)
        << result.err;
    EXPECT_NE(result.err.find("warning: rancher.sysctl.net.ipv4.no_such_knob:"), std::string::npos)
        << result.err;
    EXPECT_NE(result.err.find("warning: rancher.sysctl.../escape: not a kernel parameter"),
              std::string::npos)
        << result.err;
    EXPECT_FALSE(*fs::exists(path("/etc/bad-encoding")));
    EXPECT_FALSE(*fs::exists(path("/etc/bad-owner")));
    EXPECT_EQ(read("/etc/good"), "fine");
    EXPECT_EQ(read("/etc/hostname"), "survivor\n");
}

TEST_F(CloudInit, SchemaProblemsAndBrokenYamlAreReportedWithFileAndLine) {
    user_data("#cloud-config\nhostname: typed\nrancher:\n  netwrk: {}\n  shutdown_timeout: abc\n");
    auto problems = ros({"cloud-init"});
    ASSERT_EQ(problems.exit_code, 0) << problems.err;
    EXPECT_NE(problems.err.find("boot.yml:4:3: rancher.netwrk: unknown key"), std::string::npos)
        << problems.err;
    EXPECT_NE(problems.err.find("boot.yml:5:21: rancher.shutdown_timeout: expected an integer"),
              std::string::npos)
        << problems.err;
    // The valid parts still apply.
    EXPECT_EQ(read("/etc/hostname"), "typed\n");

    user_data("#cloud-config\nhostname: [unclosed\n");
    auto broken = ros({"cloud-init"});
    ASSERT_EQ(broken.exit_code, 0) << broken.err;
    EXPECT_NE(broken.err.find("warning: datasource file:" + path("/seed/user-data")),
              std::string::npos)
        << broken.err;
    EXPECT_NE(broken.err.find("user-data:"), std::string::npos) << broken.err;
}

TEST_F(CloudInit, RuncmdAndBootcmdRunInOrderAndFailuresAreNamed) {
    user_data(
        "#cloud-config\n"
        "bootcmd:\n  - echo boot >> " +
        path("/order") +
        "\n"
        "runcmd:\n"
        "  - echo run1 >> " +
        path("/order") +
        "\n"
        "  - [sh, -c, 'echo run2 >> " +
        path("/order") +
        "']\n"
        "  - exit 3\n"
        "  - echo run4 >> " +
        path("/order") + "\n");
    auto applied = ros({"cloud-init"});
    ASSERT_EQ(applied.exit_code, 0) << applied.err;
    EXPECT_EQ(read("/order"), "boot\n");
    auto ran = ros({"cloud-init", "--runcmd"});
    EXPECT_EQ(ran.exit_code, 1);
    EXPECT_NE(ran.err.find("warning: runcmd[2]: `exit 3` exited 3"), std::string::npos) << ran.err;
    EXPECT_EQ(read("/order"), "boot\nrun1\nrun2\nrun4\n");
}

}  // namespace
}  // namespace corral
