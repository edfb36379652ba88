// Containers from prepare_bundle through the shim: what the process sees inside.
#include <signal.h>

#include "support.h"

namespace corral::runtime::testing {
namespace {

TEST(Container, ReadOnlyRootfsRefusesWrites) {
    SKIP_UNLESS_WORLD();
    TestContainer container("readonly", {"sh", "-c", "touch /newfile; echo rc=$?"});
    container.request.host_config.read_only_rootfs = true;
    auto received = run_container(container);
    EXPECT_EQ(received.out, "rc=1\n");
    EXPECT_NE(received.err.find("Read-only file system"), std::string::npos) << received.err;
}

TEST(Container, WritableRootfsKeepsWritesInTheUpperDir) {
    SKIP_UNLESS_WORLD();
    TestContainer container("writable", {"sh", "-c", "echo data > /newfile"});
    auto received = run_container(container);
    EXPECT_EQ(received.exit_code, 0);
    auto content = fs::read_file(container.container_dir + "/upper/newfile");
    ASSERT_TRUE(content);
    EXPECT_EQ(*content, "data\n");
    // The image layer is untouched.
    EXPECT_FALSE(*fs::exists(world().layer + "/newfile"));
}

TEST(Container, BindMountsReadWriteAndReadOnly) {
    SKIP_UNLESS_WORLD();
    auto host_dir = fs::TempDir::create(world().root, "bind");
    ASSERT_TRUE(host_dir);
    ASSERT_TRUE(fs::write_file_atomic(host_dir->path() + "/in.txt", "from host\n"));
    TestContainer container("bind", {"sh", "-c",
                                     "cat /data/in.txt; echo from container > /data/out.txt; "
                                     "touch /ro/x 2>/dev/null || echo ro-refused"});
    using Type = engine::MountSpec::Type;
    container.request.host_config.mounts = {
        {Type::bind, host_dir->path(), "/data", false, "", ""},
        {Type::bind, host_dir->path(), "/ro", true, "rslave", ""},
    };
    auto received = run_container(container);
    EXPECT_EQ(received.out, "from host\nro-refused\n");
    auto written = fs::read_file(host_dir->path() + "/out.txt");
    ASSERT_TRUE(written);
    EXPECT_EQ(*written, "from container\n");
}

TEST(Container, TmpfsMount) {
    SKIP_UNLESS_WORLD();
    TestContainer container("tmpfs", {"sh", "-c", "grep ' /scratch ' /proc/mounts"});
    container.request.host_config.mounts = {
        {engine::MountSpec::Type::tmpfs, "", "/scratch", false, "", "size=1m"}};
    auto received = run_container(container);
    EXPECT_NE(received.out.find("tmpfs /scratch tmpfs"), std::string::npos) << received.out;
    EXPECT_NE(received.out.find("size=1024k"), std::string::npos) << received.out;
}

TEST(Container, UserHostnameAndEtcFiles) {
    SKIP_UNLESS_WORLD();
    TestContainer container("user", {"sh", "-c",
                                     "id -u; id -g; id -G; hostname; cat /etc/hostname; "
                                     "grep -c localhost /etc/hosts; grep myhost /etc/hosts; "
                                     "echo $HOME; pwd"});
    container.request.config.user = "app";
    container.request.config.hostname = "inner";
    container.request.working_dir = "/tmp";
    container.request.host_config.extra_hosts = {"myhost:10.1.2.3"};
    auto received = run_container(container);
    EXPECT_EQ(received.out,
              "1000\n1000\n1000 10 29\ninner\ninner\n2\n10.1.2.3\tmyhost\n/home/app\n/tmp\n");
    EXPECT_EQ(received.err, "");
}

TEST(Container, CapabilitiesAreApplied) {
    SKIP_UNLESS_WORLD();
    TestContainer container("caps", {"sh", "-c", "grep CapBnd /proc/self/status"});
    container.request.host_config.cap_drop = {"ALL"};
    container.request.host_config.cap_add = {"CHOWN"};
    auto received = run_container(container);
    EXPECT_EQ(received.out, "CapBnd:\t0000000000000001\n");
}

TEST(Container, NetworkNoneHasOnlyLoopback) {
    SKIP_UNLESS_WORLD();
    TestContainer container("netnone", {"sh", "-c", "ls /sys/class/net"});
    container.request.host_config.network_mode = "none";
    auto received = run_container(container);
    EXPECT_EQ(received.out, "lo\n");
}

TEST(Container, JoinsAnotherContainersNetworkNamespace) {
    SKIP_UNLESS_WORLD();
    TestContainer first("netowner", {"sleep", "1000"});
    auto owner = first.create();
    ASSERT_TRUE(owner) << owner.error().message();
    auto started = start_container(first.exec_root_dir);
    ASSERT_TRUE(started) << started.error().message();
    std::string path = "/proc/" + std::to_string(started->container_pid) + "/ns/net";
    auto expected = sys::readlink(path);
    ASSERT_TRUE(expected);

    TestContainer second("netjoiner", {"readlink", "/proc/self/ns/net"});
    second.request.host_config.network_mode = "container:netowner";
    second.request.namespace_paths["network"] = path;
    auto received = run_container(second);
    EXPECT_EQ(received.out, *expected + "\n");
    ASSERT_TRUE(kill_container(world().options, first.id, first.exec_root_dir, SIGKILL));
    EXPECT_EQ(wait_exit(*owner, first.exec_root_dir).exit_code, 137);
}

TEST(Container, ResourceWarningsFollowTheHostsControllers) {
    SKIP_UNLESS_WORLD();
    TestContainer container("limits", {"sleep", "1000"});
    container.request.host_config.resources.memory = 64 << 20;
    auto shim = container.create();
    ASSERT_TRUE(shim) << shim.error().message();
    ASSERT_TRUE(start_container(container.exec_root_dir));
    auto controllers = fs::read_file(world().options.cgroup_mount + world().options.cgroup_parent +
                                     "/cgroup.controllers");
    ASSERT_TRUE(controllers);
    bool has_memory = controllers->find("memory") != std::string::npos;
    EXPECT_EQ(container.warnings.empty(), has_memory);
    if (has_memory) {
        auto limit = fs::read_file(cgroup_dir(world().options, container.id) + "/memory.max");
        ASSERT_TRUE(limit);
        EXPECT_EQ(*limit, std::to_string(64 << 20) + "\n");
    }
    ASSERT_TRUE(kill_container(world().options, container.id, container.exec_root_dir, SIGKILL));
    EXPECT_EQ(wait_exit(*shim, container.exec_root_dir).exit_code, 137);
}

TEST(Container, ExecWithoutTty) {
    SKIP_UNLESS_WORLD();
    TestContainer container("exec", {"sleep", "1000"});
    auto shim = container.create();
    ASSERT_TRUE(shim) << shim.error().message();
    ASSERT_TRUE(start_container(container.exec_root_dir));

    auto out = sys::pipe();
    auto err = sys::pipe();
    ASSERT_TRUE(out && err);
    ExecRequest request;
    request.id = container.id;
    request.container_dir = container.container_dir;
    request.exec_root_dir = container.exec_root_dir;
    request.args = {"sh", "-c", "id -u; pwd; echo $GREETING; echo oops >&2; exit 4"};
    request.env = {"PATH=/bin", "GREETING=hi"};
    request.user = "app";
    request.working_dir = "/home";
    request.stdout_fd = (*out)[1].get();
    request.stderr_fd = (*err)[1].get();
    auto process = exec(world().options, request);
    ASSERT_TRUE(process) << process.error().message();
    (*out)[1].reset();
    (*err)[1].reset();
    auto code = process->wait();
    ASSERT_TRUE(code);
    EXPECT_EQ(*code, 4);
    char buffer[256];
    auto n = sys::read((*out)[0].get(), buffer);
    ASSERT_TRUE(n);
    EXPECT_EQ(std::string(buffer, *n), "1000\n/home\nhi\n");
    n = sys::read((*err)[0].get(), buffer);
    ASSERT_TRUE(n);
    EXPECT_EQ(std::string(buffer, *n), "oops\n");

    // A process killed by a signal reports 128+N.
    request.args = {"sh", "-c", "kill -9 $$"};
    request.stdout_fd = request.stderr_fd = -1;
    auto killed = exec(world().options, request);
    ASSERT_TRUE(killed) << killed.error().message();
    auto killed_code = killed->wait();
    ASSERT_TRUE(killed_code);
    EXPECT_EQ(*killed_code, 137);

    ASSERT_TRUE(kill_container(world().options, container.id, container.exec_root_dir, SIGKILL));
    wait_exit(*shim, container.exec_root_dir);
}

std::string read_until(int fd, const std::string& marker) {
    std::string seen;
    while (seen.find(marker) == std::string::npos) {
        pollfd descriptor{fd, POLLIN, 0};
        if (::poll(&descriptor, 1, 10000) != 1)
            break;
        char buffer[1024];
        ssize_t n = ::read(fd, buffer, sizeof(buffer));
        if (n <= 0)
            break;
        seen.append(buffer, static_cast<size_t>(n));
    }
    return seen;
}

TEST(Container, ExecWithTty) {
    SKIP_UNLESS_WORLD();
    TestContainer container("exectty", {"sleep", "1000"});
    auto shim = container.create();
    ASSERT_TRUE(shim) << shim.error().message();
    ASSERT_TRUE(start_container(container.exec_root_dir));

    ExecRequest request;
    request.id = container.id;
    request.container_dir = container.container_dir;
    request.exec_root_dir = container.exec_root_dir;
    request.args = {"sh", "-c", "[ -t 0 ] && echo is-tty; read size; stty size; exit 9"};
    request.env = {"PATH=/bin"};
    request.tty = true;
    request.rows = 20;
    request.columns = 70;
    auto process = exec(world().options, request);
    ASSERT_TRUE(process) << process.error().message();
    ASSERT_GE(process->pty_master(), 0);
    EXPECT_NE(read_until(process->pty_master(), "is-tty").find("is-tty"), std::string::npos);
    ASSERT_TRUE(process->resize(33, 99));
    ASSERT_TRUE(sys::write_all(process->pty_master(), "go\n"));
    EXPECT_NE(read_until(process->pty_master(), "33 99").find("33 99"), std::string::npos);
    auto code = process->wait();
    ASSERT_TRUE(code);
    EXPECT_EQ(*code, 9);

    request.args = {"/no/such/program"};
    // crun hands over the console before it looks for the program: the failure shows as the
    // exit code.
    auto missing = exec(world().options, request);
    if (missing) {
        auto missing_code = missing->wait();
        ASSERT_TRUE(missing_code);
        EXPECT_NE(*missing_code, 0);  // crun exits 255
    } else {
        EXPECT_NE(missing.error().message().find("/no/such/program"), std::string::npos)
            << missing.error().message();
    }

    ASSERT_TRUE(kill_container(world().options, container.id, container.exec_root_dir, SIGKILL));
    wait_exit(*shim, container.exec_root_dir);
}

TEST(Container, ExecInAStoppedContainerFails) {
    SKIP_UNLESS_WORLD();
    TestContainer container("execgone", {"true"});
    run_container(container);
    ExecRequest request;
    request.id = container.id;
    request.container_dir = container.container_dir;
    request.exec_root_dir = container.exec_root_dir;
    request.args = {"true"};
    // The rootfs is unmounted: the user lookup finds no passwd, "root" by number still works,
    // and crun refuses an unknown container.
    request.user = "0";
    auto process = exec(world().options, request);
    if (process) {
        auto code = process->wait();
        ASSERT_TRUE(code);
        EXPECT_NE(*code, 0);
    }
}

TEST(Container, PrivilegedSeesHostDevicesAndAllCapabilities) {
    SKIP_UNLESS_WORLD();
    TestContainer container("privileged", {"sh", "-c",
                                           "grep CapBnd /proc/self/status; ls /dev/null /dev/kmsg; "
                                           "mount | grep -c ' /sys type sysfs (rw'"});
    container.request.host_config.privileged = true;
    auto received = run_container(container);
    EXPECT_EQ(received.exit_code, 0) << received.err;
    EXPECT_EQ(received.out.find("CapBnd:\t0000000000000001"), std::string::npos);
    EXPECT_NE(received.out.find("/dev/kmsg"), std::string::npos) << received.out;
    EXPECT_NE(received.out.find("\n1\n"), std::string::npos) << received.out;
}

TEST(Container, HostNamespaces) {
    SKIP_UNLESS_WORLD();
    TestContainer container("hostns", {"sh", "-c",
                                       "for t in net pid ipc uts; do readlink /proc/self/ns/$t; "
                                       "done; hostname"});
    container.request.host_config.network_mode = "host";
    container.request.host_config.pid_mode = "host";
    container.request.host_config.ipc_mode = "host";
    container.request.host_config.uts_mode = "host";
    auto received = run_container(container);
    EXPECT_EQ(received.exit_code, 0) << received.err;
    std::string expected;
    for (const char* type : {"net", "pid", "ipc", "uts"})
        expected += *sys::readlink(std::string("/proc/self/ns/") + type) + "\n";
    char name[256] = {};
    ::gethostname(name, sizeof(name) - 1);
    expected += std::string(name) + "\n";
    EXPECT_EQ(received.out, expected) << received.err;
}

}  // namespace
}  // namespace corral::runtime::testing
