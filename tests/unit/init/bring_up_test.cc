// The boot's service bring-up against a real engine (busybox image, crun, the build's
// corral-shim): the plan of the configuration layers and an enabled repository service, the
// containers of the last boot kept across an engine restart, one-shots run each boot, changed
// definitions and images made again, and restart policies of the other containers.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>

#include "../engine/engine_fixture.h"
#include "compose/container.h"
#include "init/service_engine.h"
#include "init/system_services.h"

namespace corral::init {
namespace {

class BringUpTest : public engine::testing::EngineTest {
  protected:
    void SetUp() override {
        EngineTest::SetUp();
        if (IsSkipped() || HasFatalFailure())
            return;
        // The lean corral-shim of the build, as the booted engine uses.
        options_.shim_path = std::string(CORRAL_BINARY_DIR) + "/bin/corral-shim";
        if (::access(options_.shim_path.c_str(), X_OK) != 0)
            GTEST_SKIP() << "needs " << options_.shim_path
                         << " (cmake --build --target corral-shim)";
        options_.restore_restart_policies = false;
        engine_.reset();
        make_engine();
        paths_ = config::LayerPaths::under(dir_->path() + "/root");
        ASSERT_TRUE(fs::mkdir_p(fs::dirname(paths_.os_config)));
        ASSERT_TRUE(fs::mkdir_p(fs::dirname(paths_.cloud_config_file)));
        ASSERT_TRUE(fs::mkdir_p(fs::dirname(paths_.cmdline_file)));
        ASSERT_TRUE(fs::write_file_atomic(paths_.cmdline_file, "\n"));
        std::string repository = dir_->path() + "/repo";
        ASSERT_TRUE(fs::mkdir_p(repository + "/e"));
        ASSERT_TRUE(fs::write_file_atomic(repository + "/index.yml", "services: [extra]\n"));
        ASSERT_TRUE(fs::write_file_atomic(repository + "/e/extra.yml", R"(extra:
  image: busybox:test
  command: ["sleep", "1000"]
  labels: {io.rancher.os.scope: system}
)"));
        write_os_config("1000");
        // What `ros config set rancher.repositories...` and `ros service enable` write.
        ASSERT_TRUE(fs::write_file_atomic(
            paths_.cloud_config_file, "rancher:\n  repositories:\n    local:\n      url: " +
                                          repository + "\n  services_include:\n    extra: true\n"));
    }

    void write_os_config(const std::string& daemon_seconds) {
        ASSERT_TRUE(fs::write_file_atomic(paths_.os_config, R"(rancher:
  services:
    holder:
      image: busybox:test
      command: "true"
      labels: {io.rancher.os.createonly: "true", io.rancher.os.scope: system}
    once:
      image: busybox:test
      command: ["echo", "ran"]
      labels: {io.rancher.os.detach: "false", io.rancher.os.scope: system}
    daemon:
      image: busybox:test
      command: ["sleep", ")" + daemon_seconds + R"("]
      labels: {io.rancher.os.scope: system, io.rancher.os.after: once}
      restart: always
      volumes_from: [holder]
    for-the-user-engine:
      image: busybox:test
      command: ["true"]
)"));
    }

    ServicesReport bring_up(bool again = false) {
        LocalEngine local(*engine_, *store_);
        BringUpOptions options;
        options.again = again;
        options.paths = paths_;
        ServicesReport report = bring_up_system_services(local, options);
        EXPECT_TRUE(report.problems.empty()) << report.problems[0];
        std::sort(report.started.begin(), report.started.end());
        std::sort(report.made.begin(), report.made.end());
        return report;
    }

    // The VM powers off (every container stopped) and boots: a new engine on the same data.
    void reboot() {
        engine_->stop_all(0);
        engine_.reset();
        make_engine();
    }

    engine::Container inspect(const std::string& name) {
        auto found = engine_->inspect(name);
        EXPECT_TRUE(found) << name;
        return found ? *found : engine::Container{};
    }

    config::LayerPaths paths_;
};

const std::vector<std::string> all_four = {"daemon", "extra", "holder", "once"};

TEST_F(BringUpTest, KeepsTheLastBootsContainersAndRunsOneShotsAgain) {
    auto first = bring_up();
    EXPECT_EQ(first.started, all_four);
    EXPECT_EQ(first.made, all_four);  // user scope left to the user engine
    EXPECT_FALSE(engine_->inspect("for-the-user-engine"));
    EXPECT_EQ(inspect("holder").state.status, engine::Status::created);
    EXPECT_EQ(inspect("daemon").state.status, engine::Status::running);
    EXPECT_EQ(inspect("extra").state.status, engine::Status::running);
    EXPECT_EQ(inspect("once").state.status, engine::Status::exited);
    std::string daemon_id = inspect("daemon").id;
    std::string extra_id = inspect("extra").id;

    reboot();
    // The engine did not start them on its own.
    EXPECT_NE(inspect("daemon").state.status, engine::Status::running);
    auto second = bring_up();
    EXPECT_EQ(second.started, all_four);
    EXPECT_TRUE(second.made.empty());
    EXPECT_EQ(inspect("daemon").id, daemon_id);
    EXPECT_EQ(inspect("extra").id, extra_id);
    EXPECT_EQ(inspect("daemon").state.status, engine::Status::running);
    EXPECT_EQ(inspect("extra").state.status, engine::Status::running);
    EXPECT_EQ(all_logs("once"), "ran\nran\n");

    // The engine restarted within the boot: what runs stays, the one-shot is not run again.
    engine_.reset();
    make_engine();
    auto again = bring_up(/*again=*/true);
    EXPECT_EQ(again.started, all_four);
    EXPECT_TRUE(again.made.empty());
    EXPECT_EQ(all_logs("once"), "ran\nran\n");
}

TEST_F(BringUpTest, OneAtATimeTheHeaviestChainFirst) {
    LocalEngine local(*engine_, *store_);
    BringUpOptions options;
    options.paths = paths_;
    options.max_parallel = 1;
    ServicesReport report = bring_up_system_services(local, options);
    ASSERT_TRUE(report.problems.empty()) << report.problems[0];
    // The one-shot with `daemon` behind it (6) before the holder (3), which no service ready
    // at the start outweighs; then the two daemons, `daemon` once both it waits for are done.
    ASSERT_EQ(report.started.size(), 4u);
    EXPECT_EQ(report.started[0], "once");
    EXPECT_EQ(report.started[1], "holder");
    std::vector<std::string> rest(report.started.begin() + 2, report.started.end());
    std::sort(rest.begin(), rest.end());
    EXPECT_EQ(rest, (std::vector<std::string>{"daemon", "extra"}));
    EXPECT_EQ(inspect("daemon").state.status, engine::Status::running);
    EXPECT_EQ(all_logs("once"), "ran\n");
}

TEST_F(BringUpTest, AServiceBusyForLongNoLongerHoldsItsPlace) {
    // The one-shot goes first and takes 5 s; after busy_for the holder starts beside it.
    auto text = fs::read_file(paths_.os_config, 1 << 20);
    ASSERT_TRUE(text);
    std::string config = *text;
    size_t at = config.find(R"(["echo", "ran"])");
    ASSERT_NE(at, std::string::npos);
    config.replace(at, 15, R"(["sleep", "5"])");
    ASSERT_TRUE(fs::write_file_atomic(paths_.os_config, config));
    LocalEngine local(*engine_, *store_);
    BringUpOptions options;
    options.paths = paths_;
    options.max_parallel = 1;
    options.busy_for = std::chrono::milliseconds(300);
    ServicesReport report = bring_up_system_services(local, options);
    ASSERT_TRUE(report.problems.empty()) << report.problems[0];
    ASSERT_EQ(report.started.size(), 4u);
    EXPECT_EQ(report.started[0], "holder");
    EXPECT_EQ(report.started[1], "extra");
    EXPECT_EQ(report.started[2], "once");
    EXPECT_EQ(report.started[3], "daemon");
}

TEST_F(BringUpTest, ChangedDefinitionsAndImagesAreMadeAgain) {
    bring_up();
    std::string daemon_id = inspect("daemon").id;
    std::string extra_id = inspect("extra").id;
    write_os_config("2000");
    reboot();
    auto changed = bring_up();
    EXPECT_EQ(changed.made, std::vector<std::string>{"daemon"});
    EXPECT_NE(inspect("daemon").id, daemon_id);
    EXPECT_EQ(inspect("extra").id, extra_id);
    EXPECT_EQ(inspect("daemon").state.status, engine::Status::running);

    // A new boot medium: busybox:test names a new image.
    auto tar = sys::open(dir_->path() + "/rootfs.tar", O_RDONLY);
    ASSERT_TRUE(tar);
    image::ImportOptions options;
    options.reference = "busybox:test";
    options.changes = {"ENV RELEASE=2"};
    ASSERT_TRUE(store_->import_rootfs(tar->get(), options));
    reboot();
    auto rebuilt = bring_up();
    EXPECT_EQ(rebuilt.made, all_four);
    EXPECT_EQ(inspect("extra").image_id, store_->resolve("busybox:test")->id);
}

TEST_F(BringUpTest, RestartPoliciesApplyToTheOtherContainersOnly) {
    auto plain = request({"sleep", "1000"}, "plain");
    plain.host_config.restart_policy.name = engine::RestartPolicy::Name::always;
    auto service = plain;
    service.name = "old-service";
    service.config.labels[std::string(compose::hash_label)] = "sha256:old";
    for (const auto& create : {plain, service}) {
        ASSERT_TRUE(engine_->create_container(create));
        ASSERT_TRUE(engine_->start(create.name));
    }
    reboot();
    EXPECT_TRUE(restore_other_containers(*engine_).empty());
    EXPECT_EQ(inspect("plain").state.status, engine::Status::running);
    // Not configured any more: the bring-up's, left stopped.
    EXPECT_NE(inspect("old-service").state.status, engine::Status::running);
}

// The initrd's manifests (docker-archive manifest.json, one per archive of the boot medium)
// against the store: only the very images (tag and config digest) count as present.
TEST_F(BringUpTest, SystemImagesArePresentOnlyWhenEveryTagNamesItsImage) {
    auto image = store_->resolve("busybox:test");
    ASSERT_TRUE(image) << image.error().message();
    std::string hex = image->id.substr(image->id.find(':') + 1);
    std::string manifests = dir_->path() + "/manifests";
    ASSERT_TRUE(fs::mkdir_p(manifests));
    EXPECT_FALSE(system_images_present(*store_, manifests));  // no manifest
    EXPECT_FALSE(system_images_present(*store_, dir_->path() + "/none"));
    auto manifest = [&](const std::string& tag, const std::string& config) {
        return R"([{"Config": ")" + config + R"(", "RepoTags": [")" + tag + R"("], "Layers": []}])";
    };
    ASSERT_TRUE(
        fs::write_file_atomic(manifests + "/a.json", manifest("busybox:test", hex + ".json")));
    EXPECT_TRUE(system_images_present(*store_, manifests));
    // OCI-style config names work the same.
    ASSERT_TRUE(fs::write_file_atomic(manifests + "/a.json",
                                      manifest("busybox:test", "blobs/sha256/" + hex)));
    EXPECT_TRUE(system_images_present(*store_, manifests));
    // The same tag on other content (a new release), a tag the store lacks, a broken file.
    std::string other(hex.size(), '0');
    ASSERT_TRUE(fs::write_file_atomic(manifests + "/b.json", manifest("busybox:test", other)));
    EXPECT_FALSE(system_images_present(*store_, manifests));
    ASSERT_TRUE(fs::write_file_atomic(manifests + "/b.json", manifest("corral/none:1", hex)));
    EXPECT_FALSE(system_images_present(*store_, manifests));
    ASSERT_TRUE(fs::write_file_atomic(manifests + "/b.json", "[{\"Config\": "));
    EXPECT_FALSE(system_images_present(*store_, manifests));
    ASSERT_EQ(::unlink((manifests + "/b.json").c_str()), 0);
    EXPECT_TRUE(system_images_present(*store_, manifests));
}

}  // namespace
}  // namespace corral::init
