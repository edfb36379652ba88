// Shared fixtures of the runtime tests: a busybox image layer, runtime options under a temp
// dir, and a container dir per test. Tests run as root in a private mount namespace that
// environment_test.cc enters at start.
#pragma once

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include "base/fs.h"
#include "base/process.h"
#include "base/sys.h"
#include "runtime/runtime.h"
#include "runtime/shim_client.h"

namespace corral::runtime::testing {

// Set up once by the environment (environment_test.cc).
struct TestWorld {
    std::string root;        // temp dir of this test run
    std::string layer;       // busybox rootfs, used as the image's only lower dir
    RuntimeOptions options;  // crun root and cgroup parent inside `root`
    bool ready = false;
    std::string skip_reason;
};
TestWorld& world();

#define SKIP_UNLESS_WORLD()                                                  \
    do {                                                                     \
        if (!::corral::runtime::testing::world().ready)                      \
            GTEST_SKIP() << ::corral::runtime::testing::world().skip_reason; \
    } while (0)

inline std::string unique_id(const std::string& prefix) {
    static int counter = 0;
    return prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

// One container's dirs and requests with sane defaults: busybox layer, no network.
struct TestContainer {
    std::string id;
    std::string container_dir;
    std::string exec_root_dir;
    std::string log_path;
    BundleRequest request;
    ShimOptions shim;

    explicit TestContainer(const std::string& name, std::vector<std::string> command) {
        id = unique_id(name);
        container_dir = world().root + "/containers/" + id;
        exec_root_dir = world().root + "/exec/" + id;
        log_path = container_dir + "/" + id + "-json.log";
        EXPECT_TRUE(fs::mkdir_p(container_dir));
        request.id = id;
        request.container_dir = container_dir;
        request.exec_root_dir = exec_root_dir;
        request.lower_dirs = {world().layer};
        request.path = command.at(0);
        request.args.assign(command.begin() + 1, command.end());
        request.env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
        request.config.hostname = "box";
        shim.id = id;
        shim.container_dir = container_dir;
        shim.exec_root_dir = exec_root_dir;
        shim.log_path = log_path;
    }

    // prepare_bundle + spawn_shim; the rootfs mount is handed to the shim.
    ErrorOr<ShimProcess> create() {
        shim.tty = request.config.tty;
        auto bundle = TRY(prepare_bundle(request, world().options));
        warnings = bundle.warnings;
        bundle.rootfs->release();
        return spawn_shim(world().options, shim);
    }

    Warnings warnings;
};

// Waits for the shim to exit (its pidfd readable) and returns the recorded exit status. The
// exit notice is read and closed first, as the engine does (the shim waits for that).
inline ExitStatus wait_exit(ShimProcess& shim, const std::string& exec_root_dir) {
    if (shim.exit_notice) {
        pollfd notice{shim.exit_notice.get(), POLLIN, 0};
        EXPECT_EQ(::poll(&notice, 1, 30000), 1) << "no exit notice";
        EXPECT_TRUE(read_exit_notice(shim.exit_notice.get()) || shim.exit_noticed);
        shim.exit_notice.reset();
    }
    pollfd descriptor{shim.pidfd.get(), POLLIN, 0};
    EXPECT_EQ(::poll(&descriptor, 1, 30000), 1) << "the shim did not exit";
    auto status = read_exit_status(exec_root_dir);
    EXPECT_TRUE(status) << status.error().message();
    if (!status || !*status) {
        ADD_FAILURE() << "no exit status written";
        return ExitStatus{-1, false, 0, "missing"};
    }
    return **status;
}

inline std::vector<std::string> read_lines(const std::string& path) {
    std::vector<std::string> lines;
    auto text = fs::read_file(path);
    if (!text)
        return lines;
    size_t start = 0;
    while (start < text->size()) {
        size_t end = text->find('\n', start);
        if (end == std::string::npos)
            end = text->size();
        lines.push_back(text->substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

// Everything a client receives until the shim closes the connection.
struct Received {
    std::string out;
    std::string err;
    std::optional<int> exit_code;
};

inline Received receive_all(ShimClient& client) {
    Received received;
    for (;;) {
        auto event = client.read_event();
        EXPECT_TRUE(event) << event.error().message();
        if (!event || !*event)
            return received;
        switch ((*event)->kind) {
            case ShimEvent::Kind::stdout_data:
                received.out += (*event)->data;
                break;
            case ShimEvent::Kind::stderr_data:
                received.err += (*event)->data;
                break;
            case ShimEvent::Kind::exit:
                received.exit_code = (*event)->exit_code;
                break;
            case ShimEvent::Kind::start_result:
                break;
        }
    }
}

// Creates, attaches, starts and waits: the container's whole output and exit code.
inline Received run_container(TestContainer& container) {
    auto shim = container.create();
    EXPECT_TRUE(shim) << shim.error().message();
    if (!shim)
        return {};
    auto client = ShimClient::connect(container.exec_root_dir, {true, true, false});
    EXPECT_TRUE(client) << client.error().message();
    if (!client)
        return {};
    auto started = client->start();
    EXPECT_TRUE(started) << started.error().message();
    auto received = receive_all(*client);
    wait_exit(*shim, container.exec_root_dir);
    return received;
}

}  // namespace corral::runtime::testing
