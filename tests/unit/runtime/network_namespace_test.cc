// Network namespaces made ahead of container starts: what they hold, the pool, and a container
// that joins one through crun.
#include "runtime/network_namespace.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <thread>

#include "support.h"

namespace corral::runtime::testing {
namespace {

ino_t inode_of(int fd) {
    struct stat status {};
    EXPECT_EQ(::fstat(fd, &status), 0);
    return status.st_ino;
}

ino_t own_network_namespace() {
    UniqueFd own(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    EXPECT_TRUE(own);
    return inode_of(own.get());
}

// The flags of `name` as seen from inside the namespace `fd`, on a thread that joins it.
short interface_flags(int fd, const char* name) {
    short flags = -1;
    std::thread([&] {
        if (::setns(fd, CLONE_NEWNET) < 0)
            return;
        UniqueFd control(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        ifreq request{};
        std::strncpy(request.ifr_name, name, IFNAMSIZ - 1);
        if (control && ::ioctl(control.get(), SIOCGIFFLAGS, &request) == 0)
            flags = request.ifr_flags;
    }).join();
    return flags;
}

TEST(NetworkNamespace, IsNewWithItsLoopbackUpAndLeavesOursAlone) {
    if (::geteuid() != 0)
        GTEST_SKIP() << "needs root";
    ino_t before = own_network_namespace();
    auto made = make_network_namespace();
    ASSERT_TRUE(made) << made.error().message();
    EXPECT_NE(inode_of(made->get()), before);
    EXPECT_EQ(own_network_namespace(), before);
    short flags = interface_flags(made->get(), "lo");
    ASSERT_GE(flags, 0);
    EXPECT_TRUE(flags & IFF_UP);
    // Nothing else in it: a container of its own network sees only its loopback.
    std::set<std::string> names;
    std::thread([&] {
        if (::setns(made->get(), CLONE_NEWNET) < 0)
            return;
        if (auto* list = ::if_nameindex()) {
            for (auto* entry = list; entry->if_index != 0; ++entry)
                names.insert(entry->if_name);
            ::if_freenameindex(list);
        }
    }).join();
    EXPECT_EQ(names, std::set<std::string>{"lo"});
}

TEST(NetworkNamespace, DescriptorPathOpensTheSameNamespace) {
    if (::geteuid() != 0)
        GTEST_SKIP() << "needs root";
    auto made = make_network_namespace();
    ASSERT_TRUE(made) << made.error().message();
    std::string path = descriptor_path(made->get());
    EXPECT_EQ(path, "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(made->get()));
    UniqueFd again(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(again);
    EXPECT_EQ(inode_of(again.get()), inode_of(made->get()));
}

TEST(NetworkNamespacePool, HandsOutWhatFillMadeAndNothingMore) {
    if (::geteuid() != 0)
        GTEST_SKIP() << "needs root";
    NetworkNamespacePool pool(2);
    EXPECT_FALSE(pool.take());
    pool.fill();
    EXPECT_FALSE(pool.disabled());
    UniqueFd first = pool.take();
    UniqueFd second = pool.take();
    ASSERT_TRUE(first);
    ASSERT_TRUE(second);
    EXPECT_NE(inode_of(first.get()), inode_of(second.get()));
    EXPECT_FALSE(pool.take());
    pool.fill();
    UniqueFd third = pool.take();
    ASSERT_TRUE(third);
    EXPECT_NE(inode_of(third.get()), inode_of(first.get()));
}

TEST(NetworkNamespace, ContainerJoinsTheGivenNamespace) {
    SKIP_UNLESS_WORLD();
    auto made = make_network_namespace();
    ASSERT_TRUE(made) << made.error().message();
    TestContainer container("netns", {"sh", "-c", "readlink /proc/self/ns/net; ip -o link"});
    container.request.host_config.network_mode = "default";
    container.request.namespace_paths["network"] = descriptor_path(made->get());
    auto received = run_container(container);
    EXPECT_EQ(received.exit_code, 0) << received.err;
    std::string expected = "net:[" + std::to_string(inode_of(made->get())) + "]\n";
    ASSERT_TRUE(received.out.starts_with(expected)) << received.out;
    // Only the loopback, up.
    std::string links = received.out.substr(expected.size());
    EXPECT_NE(links.find("lo: <LOOPBACK,UP"), std::string::npos) << links;
    EXPECT_EQ(std::count(links.begin(), links.end(), '\n'), 1) << links;
}

}  // namespace
}  // namespace corral::runtime::testing
