// The runtime tests' world: enters a private mount namespace with cgroup2 (host mode), builds
// a busybox layer, and lets this test binary serve as corral-shim (spawn_shim runs
// /proc/self/exe corral-shim ...).
#include <sys/stat.h>

#include <cstdlib>

#include "cli/entry.h"
#include "runtime/host_mode.h"
#include "support.h"

namespace corral::runtime::testing {

TestWorld& world() {
    static TestWorld instance;
    return instance;
}

namespace {

// Before gtest's main: if this process was started as the shim, be the shim.
struct ShimDispatch {
    ShimDispatch() {
        auto cmdline = fs::read_file("/proc/self/cmdline", 1 << 20);
        if (!cmdline)
            return;
        std::vector<std::string> arguments;
        size_t start = 0;
        while (start < cmdline->size()) {
            size_t end = cmdline->find('\0', start);
            if (end == std::string::npos)
                end = cmdline->size();
            arguments.push_back(cmdline->substr(start, end - start));
            start = end + 1;
        }
        if (arguments.size() < 2 || arguments[1] != "corral-shim")
            return;
        std::vector<char*> argv;
        for (auto& argument : arguments)
            argv.push_back(argument.data());
        argv.push_back(nullptr);
        std::_Exit(cli::shim_main(static_cast<int>(arguments.size() - 1), argv.data() + 1));
    }
} shim_dispatch;

ErrorOr<void> build_busybox_layer(const std::string& layer) {
    for (const char* dir : {"bin", "etc", "tmp", "root", "home/app", "proc", "sys", "dev"})
        TRY(fs::mkdir_p(fs::join(layer, dir)));
    auto busybox = TRY(fs::read_file("/bin/busybox"));
    TRY(fs::write_file_atomic(fs::join(layer, "bin/busybox"), busybox, 0755));
    auto list = TRY(run({"/bin/busybox", "--list"}));
    size_t start = 0;
    while (start < list.out.size()) {
        size_t end = list.out.find('\n', start);
        if (end == std::string::npos)
            end = list.out.size();
        std::string name = list.out.substr(start, end - start);
        start = end + 1;
        if (!name.empty() && name != "busybox")
            TRY(sys::symlink("busybox", fs::join(layer, "bin/" + name)));
    }
    TRY(fs::write_file_atomic(fs::join(layer, "etc/passwd"),
                              "root:x:0:0:root:/root:/bin/sh\n"
                              "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
                              "app:x:1000:1000:app:/home/app:/bin/sh\n"));
    TRY(fs::write_file_atomic(fs::join(layer, "etc/group"),
                              "root:x:0:root\n"
                              "daemon:x:1:\n"
                              "wheel:x:10:root,app\n"
                              "app:x:1000:\n"
                              "audio:x:29:app\n"));
    TRY(sys::chmod(fs::join(layer, "tmp"), 01777));
    return {};
}

class RuntimeEnvironment : public ::testing::Environment {
  public:
    void SetUp() override {
        auto& w = world();
        if (::geteuid() != 0) {
            w.skip_reason = "runtime tests need root";
            return;
        }
        if (auto entered = enter_private_mount_namespace(); !entered) {
            w.skip_reason = "private mount namespace: " + entered.error().message();
            return;
        }
        auto root = fs::TempDir::create("/tmp", "corral-runtime-test");
        if (!root) {
            w.skip_reason = root.error().message();
            return;
        }
        w.root = root->release();
        root_guard_ = w.root;
        w.layer = w.root + "/layer";
        if (auto built = build_busybox_layer(w.layer); !built) {
            w.skip_reason = "busybox layer: " + built.error().message();
            return;
        }
        w.options.crun_root = w.root + "/crun";
        w.options.cgroup_parent = "/corral-test-" + std::to_string(::getpid());
        w.options.device_cgroup_rules = false;  // host mode: no BPF device filter
        if (auto prepared = prepare_cgroup_parent(w.options.cgroup_mount, w.options.cgroup_parent);
            !prepared) {
            w.skip_reason = "cgroup parent: " + prepared.error().message();
            return;
        }
        w.ready = true;
    }

    void TearDown() override {
        auto& w = world();
        if (!w.ready)
            return;
        // Containers that a failed test left behind.
        auto names = fs::list_dir(w.root + "/containers");
        if (names) {
            for (const auto& name : *names) {
                (void)delete_container(w.options, name);
                (void)unmount_rootfs(w.root + "/containers/" + name);
            }
        }
        ::rmdir((w.options.cgroup_mount + w.options.cgroup_parent).c_str());
        (void)fs::remove_tree(root_guard_);
    }

  private:
    std::string root_guard_;
};

[[maybe_unused]] auto* environment = ::testing::AddGlobalTestEnvironment(new RuntimeEnvironment());

}  // namespace

}  // namespace corral::runtime::testing
