// Runs the real `ros` binary (build-asan/bin/ros) against temporary configuration roots.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "../config/samples.h"
#include "base/fs.h"
#include "base/process.h"
#include "base/sys.h"

namespace corral {
namespace {

std::string ros_binary() {
    return std::string(CORRAL_BINARY_DIR) + "/bin/ros";
}

class Ros : public ::testing::Test {
  protected:
    void SetUp() override {
        struct stat st;
        ASSERT_EQ(::stat(ros_binary().c_str(), &st), 0)
            << ros_binary() << " is missing: build the `corral` target first";
        auto dir = fs::TempDir::create("/tmp", "ros-test");
        ASSERT_TRUE(dir);
        root_.emplace(std::move(*dir));
        ASSERT_TRUE(fs::mkdir_p(root_->path() + "/proc"));
        ASSERT_TRUE(fs::write_file_atomic(root_->path() + "/proc/cmdline", "quiet\n"));
        ASSERT_TRUE(fs::mkdir_p(root_->path() + "/usr/share/ros"));
        ASSERT_TRUE(fs::write_file_atomic(
            root_->path() + "/usr/share/ros/os-config.yml",
            "rancher:\n  shutdown_timeout: 60\n  environment:\n    REGISTRY_DOMAIN: docker.io\n"
            "  services:\n    syslog:\n      image: corral/os-base\n    zfs:\n"
            "      image: ${REGISTRY_DOMAIN}/rancher/os-zfs:v1\n"));
    }

    RunResult ros(std::vector<std::string> arguments, std::string_view input = {}) {
        std::vector<std::string> argv{ros_binary(), "--root", root_->path()};
        argv.insert(argv.end(), arguments.begin(), arguments.end());
        auto result = run(argv, input);
        EXPECT_TRUE(result) << result.error().message();
        return result ? *result : RunResult{-1, {}, {}};
    }
    std::string user_file() {
        auto text = fs::read_file(root_->path() + "/var/lib/rancher/conf/cloud-config.yml");
        return text ? *text : "<missing>";
    }

    std::optional<fs::TempDir> root_;
};

TEST_F(Ros, VersionAndHelpOnEveryCommand) {
    auto version = ros({"--version"});
    EXPECT_EQ(version.exit_code, 0);
    EXPECT_EQ(version.out, std::string("ros version ") + CORRAL_VERSION + "\n");
    for (std::vector<std::string> command : {std::vector<std::string>{"-h"},
                                             {"config", "-h"},
                                             {"config", "get", "-h"},
                                             {"config", "set", "-h"},
                                             {"config", "merge", "-h"},
                                             {"config", "export", "-h"},
                                             {"config", "validate", "-h"},
                                             {"config", "images", "-h"},
                                             {"config", "keys", "-h"},
                                             {"completion", "-h"},
                                             {"service", "-h"},
                                             {"service", "list", "-h"},
                                             {"service", "enable", "-h"},
                                             {"service", "disable", "-h"},
                                             {"service", "delete", "-h"},
                                             {"console", "-h"},
                                             {"console", "list", "-h"},
                                             {"console", "enable", "-h"},
                                             {"engine", "-h"},
                                             {"engine", "list", "-h"},
                                             {"engine", "enable", "-h"}}) {
        auto help = ros(command);
        EXPECT_EQ(help.exit_code, 0) << command.back();
        EXPECT_NE(help.out.find("Usage: ros"), std::string::npos) << help.out;
    }
    auto unknown = ros({"bogus"});
    EXPECT_NE(unknown.exit_code, 0);
}

TEST_F(Ros, SetGetRoundTrip) {
    EXPECT_EQ(
        ros({"config", "set", "rancher.network.dns.nameservers", "[1.1.1.1, 9.9.9.9]"}).exit_code,
        0);
    EXPECT_EQ(ros({"config", "set", "hostname", "box"}).exit_code, 0);
    EXPECT_EQ(ros({"c", "set", "rancher.sysctl.net.ipv4.ip_forward", "1"}).exit_code, 0);
    auto list = ros({"config", "get", "rancher.network.dns.nameservers"});
    EXPECT_EQ(list.exit_code, 0);
    EXPECT_EQ(list.out, "- 1.1.1.1\n- 9.9.9.9\n");
    EXPECT_EQ(ros({"config", "get", "hostname"}).out, "box\n");
    EXPECT_EQ(ros({"config", "get", "rancher.sysctl.net.ipv4.ip_forward"}).out, "1\n");
    EXPECT_EQ(ros({"config", "get", "rancher.shutdown_timeout"}).out, "60\n");
    auto map = ros({"config", "get", "rancher.network"});
    EXPECT_EQ(map.out, "dns:\n  nameservers:\n    - 1.1.1.1\n    - 9.9.9.9\n");
    auto unset = ros({"config", "get", "rancher.console"});
    EXPECT_EQ(unset.exit_code, 0);
    EXPECT_EQ(unset.out, "");
}

TEST_F(Ros, SetRefusesInvalidValues) {
    ASSERT_EQ(ros({"config", "set", "rancher.debug", "true"}).exit_code, 0);
    std::string before = user_file();
    auto bad = ros({"config", "set", "rancher.shutdown_timeout", "abc"});
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_NE(bad.err.find("rancher.shutdown_timeout: expected an integer, got \"abc\""),
              std::string::npos)
        << bad.err;
    EXPECT_EQ(user_file(), before);
}

TEST_F(Ros, MergeFromStdinAndFile) {
    auto merged = ros({"config", "merge"}, "rancher:\n  console: debian\n  debug: true\n");
    EXPECT_EQ(merged.exit_code, 0) << merged.err;
    std::string file = root_->path() + "/extra.yml";
    ASSERT_TRUE(fs::write_file_atomic(file, "rancher:\n  debug: false\n"));
    EXPECT_EQ(ros({"config", "merge", "-i", file}).exit_code, 0);
    EXPECT_EQ(ros({"config", "get", "rancher.console"}).out, "debian\n");
    EXPECT_EQ(ros({"config", "get", "rancher.debug"}).out, "false\n");
    auto broken = ros({"config", "merge"}, "rancher: [\n");
    EXPECT_EQ(broken.exit_code, 1);
    EXPECT_NE(broken.err.find("stdin:"), std::string::npos) << broken.err;
}

TEST_F(Ros, ExportPrivateAndFull) {
    ASSERT_EQ(ros({"config", "merge"},
                  "rancher:\n  password: s3cret\n  ssh:\n    keys:\n      rsa: K\n"
                  "  console: default\n")
                  .exit_code,
              0);
    auto plain = ros({"config", "export"});
    EXPECT_EQ(plain.exit_code, 0);
    EXPECT_EQ(plain.out.rfind("#cloud-config\n", 0), 0u);
    EXPECT_EQ(plain.out.find("s3cret"), std::string::npos) << plain.out;
    EXPECT_NE(plain.out.find("console: default"), std::string::npos);
    EXPECT_EQ(plain.out.find("shutdown_timeout"), std::string::npos);
    auto full = ros({"config", "export", "--private", "--full"});
    EXPECT_NE(full.out.find("s3cret"), std::string::npos);
    EXPECT_NE(full.out.find("shutdown_timeout: 60"), std::string::npos);
    std::string out = root_->path() + "/export.yml";
    EXPECT_EQ(ros({"config", "export", "-p", "-o", out}).exit_code, 0);
    auto written = fs::read_file(out);
    ASSERT_TRUE(written);
    EXPECT_NE(written->find("s3cret"), std::string::npos);
    auto st = sys::stat(out);
    ASSERT_TRUE(st);
    EXPECT_EQ(st->st_mode & 0777, 0600u);
}

TEST_F(Ros, ValidateReportsEveryProblem) {
    auto bad =
        ros({"config", "validate"},
            "#cloud-config\nrancher:\n  netwrk: {}\n  shutdown_timeout: abc\nhostname: [x]\n");
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_EQ(bad.err,
              "stdin:3:3: rancher.netwrk: unknown key\n"
              "stdin:4:21: rancher.shutdown_timeout: expected an integer, got \"abc\"\n"
              "stdin:5:11: hostname: expected a string, got a list\n");
    auto syntax = ros({"config", "validate"}, "a: [\n");
    EXPECT_EQ(syntax.exit_code, 1);
    EXPECT_EQ(syntax.err.rfind("stdin:", 0), 0u);
    std::string file = root_->path() + "/good.yml";
    ASSERT_TRUE(fs::write_file_atomic(file, "hostname: ok\n"));
    auto good = ros({"config", "validate", "-i", file});
    EXPECT_EQ(good.exit_code, 0);
    EXPECT_EQ(good.err, "");
}

TEST_F(Ros, ImagesOfConfiguredServices) {
    ASSERT_EQ(
        ros({"config", "set", "rancher.environment.REGISTRY_DOMAIN", "mirror.local"}).exit_code, 0);
    auto images = ros({"config", "images"});
    EXPECT_EQ(images.exit_code, 0);
    EXPECT_EQ(images.out, "corral/os-base\nmirror.local/rancher/os-zfs:v1\n");
}

TEST_F(Ros, KernelCommandLineIsTheLastLayer) {
    ASSERT_TRUE(
        fs::write_file_atomic(root_->path() + "/proc/cmdline",
                              "quiet rancher.shutdown_timeout=5 cc.hostname=fromcmdline\n"));
    ASSERT_EQ(ros({"config", "set", "hostname", "fromfile"}).exit_code, 0);
    EXPECT_EQ(ros({"config", "get", "rancher.shutdown_timeout"}).out, "5\n");
    EXPECT_EQ(ros({"config", "get", "hostname"}).out, "fromcmdline\n");
}

TEST_F(Ros, ServiceConsoleEngineChoicesFromALocalRepository) {
    std::string repo = root_->path() + "/repo";
    std::string dir = testing::samples_dir();
    for (const auto& [flat, file] : std::vector<std::pair<std::string, std::string>>{
             {"index.yml", "index.yml"},
             {"z__zfs.yml", "z/zfs.yml"},
             {"u__ubuntu.yml", "u/ubuntu.yml"},
             {"d__docker-19.03.11.yml", "d/docker-19.03.11.yml"}}) {
        auto text = fs::read_file(dir + "/" + flat);
        ASSERT_TRUE(text) << flat;
        ASSERT_TRUE(fs::mkdir_p(fs::dirname(repo + "/" + file)));
        ASSERT_TRUE(fs::write_file_atomic(repo + "/" + file, *text));
    }
    ASSERT_EQ(ros({"config", "set", "rancher.repositories.core.url", repo}).exit_code, 0);

    EXPECT_EQ(ros({"service", "enable", "zfs"}).exit_code, 0);
    EXPECT_EQ(ros({"config", "get", "rancher.services_include.zfs"}).out, "true\n");
    EXPECT_EQ(ros({"config", "images"}).out,
              "corral/os-base\ndocker.io/rancher/os-zfs:v0.7.13-1\ndocker.io/rancher/os-zfs:v1\n");
    auto list = ros({"service", "list"});
    EXPECT_NE(list.out.find("enabled  zfs\n"), std::string::npos) << list.out;
    EXPECT_NE(list.out.find("disabled open-iscsi\n"), std::string::npos);
    auto all = ros({"service", "list", "-a"});
    EXPECT_NE(all.out.find("built-in syslog\n"), std::string::npos) << all.out;
    auto missing = ros({"s", "enable", "open-iscsi"});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_NE(missing.err.find("o/open-iscsi.yml"), std::string::npos) << missing.err;
    EXPECT_EQ(ros({"service", "disable", "zfs"}).exit_code, 0);
    EXPECT_EQ(ros({"config", "get", "rancher.services_include.zfs"}).out, "false\n");
    EXPECT_EQ(ros({"service", "delete", "zfs"}).exit_code, 0);
    EXPECT_EQ(ros({"config", "get", "rancher.services_include.zfs"}).out, "");
    EXPECT_EQ(ros({"service", "disable", "zfs"}).exit_code, 1);
    // A service file by path: its path is the services_include key.
    std::string own = root_->path() + "/my.service.yml";
    ASSERT_TRUE(fs::write_file_atomic(own, "hello:\n  image: busybox\n  command: echo hi\n"));
    EXPECT_EQ(ros({"service", "enable", own}).exit_code, 0);
    EXPECT_NE(ros({"service", "list"}).out.find("enabled  " + own + "\n"), std::string::npos);
    ASSERT_TRUE(fs::write_file_atomic(own, "hello:\n  command: echo hi\n"));
    auto invalid = ros({"service", "enable", own});
    EXPECT_EQ(invalid.exit_code, 1);
    EXPECT_NE(invalid.err.find("image: missing"), std::string::npos) << invalid.err;

    auto consoles = ros({"console", "list"});
    EXPECT_EQ(consoles.out.rfind("enabled  default\n", 0), 0u) << consoles.out;
    EXPECT_NE(consoles.out.find("disabled ubuntu\n"), std::string::npos);
    EXPECT_EQ(ros({"console", "enable", "ubuntu"}).exit_code, 0);
    EXPECT_EQ(ros({"config", "get", "rancher.console"}).out, "ubuntu\n");
    EXPECT_NE(ros({"console", "list"}).out.find("enabled  ubuntu\n"), std::string::npos);
    EXPECT_EQ(ros({"console", "enable", "nonesuch"}).exit_code, 1);
    EXPECT_EQ(ros({"console", "enable", "default"}).exit_code, 0);

    EXPECT_EQ(ros({"engine", "enable", "docker-19.03.11"}).exit_code, 0);
    EXPECT_EQ(ros({"config", "get", "rancher.docker.engine"}).out, "docker-19.03.11\n");
    auto engines = ros({"engine", "list"});
    EXPECT_NE(engines.out.find("enabled  docker-19.03.11\n"), std::string::npos) << engines.out;
    EXPECT_NE(engines.out.find("disabled docker\n"), std::string::npos);
}

TEST_F(Ros, CloudInitSavesTheFirstDatasource) {
    std::string cidata = root_->path() + "/media/cidata";
    ASSERT_TRUE(fs::mkdir_p(cidata));
    ASSERT_TRUE(
        fs::write_file_atomic(cidata + "/user-data", "#cloud-config\nhostname: fromnocloud\n"));
    ASSERT_EQ(ros({"config", "set", "rancher.cloud_init.datasources",
                   "[configdrive:" + root_->path() + "/media/config-2, nocloud:" + cidata + "]"})
                  .exit_code,
              0);
    auto saved = ros({"cloud-init"});
    EXPECT_EQ(saved.exit_code, 0);
    EXPECT_NE(saved.err.find("saved nocloud:" + cidata), std::string::npos) << saved.err;
    EXPECT_EQ(ros({"config", "get", "hostname"}).out, "fromnocloud\n");
    ASSERT_EQ(ros({"config", "set", "rancher.cloud_init.datasources", "[]"}).exit_code, 0);
    auto none = ros({"cloud-init"});
    EXPECT_EQ(none.exit_code, 0);
    EXPECT_NE(none.err.find("no user data"), std::string::npos);
}

TEST_F(Ros, BashCompletion) {
    auto script = ros({"completion", "bash"});
    ASSERT_EQ(script.exit_code, 0);
    std::string path = root_->path() + "/ros.bash";
    ASSERT_TRUE(fs::write_file_atomic(path, script.out));
    auto syntax = run({"bash", "-n", path});
    ASSERT_TRUE(syntax);
    EXPECT_EQ(syntax->exit_code, 0) << syntax->err;
    auto complete = [&](const std::string& line) {
        std::string program = "source " + path + "; COMP_WORDS=(" + line +
                              "); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); "
                              "_ros; printf '%s\\n' \"${COMPREPLY[@]}\"";
        auto result = run({"bash", "-c", program});
        EXPECT_TRUE(result);
        return result ? result->out : std::string();
    };
    EXPECT_EQ(complete("ros co"), "config\nconsole\ncompletion\n");
    EXPECT_EQ(complete("ros service en"), "enable\n");
    EXPECT_EQ(complete("ros config ex"), "export\n");
    EXPECT_EQ(complete("ros c se"), "set\n");
    EXPECT_NE(complete("ros config get rancher.sta").find("rancher.state.dev\n"),
              std::string::npos);
    EXPECT_EQ(complete("ros --root /tmp config export --pr"), "--private\n");
    // The shipped script is the generated one.
    auto shipped = fs::read_file(std::string(CORRAL_SOURCE_DIR) + "/os/ros-completion.bash");
    ASSERT_TRUE(shipped);
    EXPECT_EQ(*shipped, script.out) << "regenerate: ros completion bash > os/ros-completion.bash";
}

}  // namespace
}  // namespace corral
