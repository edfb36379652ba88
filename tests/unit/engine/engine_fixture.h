// Shared set-up of the container tests: a busybox image imported into a fresh store, an
// engine on a temporary data root, and helpers to read docker's stream frames.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "base/fs.h"
#include "base/process.h"
#include "base/sys.h"
#include "engine/engine.h"
#include "image/store.h"

namespace corral::engine::testing {

inline bool can_run_containers() {
    return ::geteuid() == 0 && std::getenv("CORRAL_ENGINE_TEST_NAMESPACE") != nullptr &&
           ::access("/bin/busybox", X_OK) == 0;
}

// A busybox rootfs tar (the static binary and its applet links) imported as busybox:test.
inline ErrorOr<std::string> import_busybox(image::Store& store, const std::string& work) {
    std::string rootfs = work + "/rootfs";
    TRY(fs::mkdir_p(rootfs + "/bin"));
    TRY(fs::mkdir_p(rootfs + "/tmp"));
    TRY(fs::mkdir_p(rootfs + "/etc"));
    auto copied = TRY(run({"cp", "/bin/busybox", rootfs + "/bin/busybox"}));
    if (copied.exit_code != 0)
        return Error::internal("cp busybox: " + copied.err);
    for (const char* applet : {"sh", "echo", "sleep", "cat", "true", "false", "ls", "ps", "env",
                               "touch", "test", "id", "hostname", "pwd"}) {
        TRY(sys::symlink("busybox", rootfs + "/bin/" + applet));
    }
    TRY(fs::write_file_atomic(rootfs + "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"));
    TRY(fs::write_file_atomic(rootfs + "/etc/group", "root:x:0:\n"));
    std::string tar = work + "/rootfs.tar";
    auto packed = TRY(run({"tar", "-C", rootfs, "-cf", tar, "."}));
    if (packed.exit_code != 0)
        return Error::internal("tar: " + packed.err);
    UniqueFd fd = TRY(sys::open(tar, O_RDONLY));
    image::ImportOptions options;
    options.reference = "busybox:test";
    options.changes = {"CMD [\"sh\"]", "ENV FROM_IMAGE=yes"};
    auto image = TRY(store.import_rootfs(fd.get(), options));
    return image.id;
}

class EngineTest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!can_run_containers())
            GTEST_SKIP() << "needs root, a private mount namespace and /bin/busybox";
        auto dir = fs::TempDir::create("/tmp", "engine-test");
        ASSERT_FALSE(dir.is_error()) << dir.error().message();
        dir_.emplace(std::move(dir).release_value());
        auto store = image::Store::open(dir_->path() + "/image");
        ASSERT_FALSE(store.is_error()) << store.error().message();
        store_ = std::move(store).release_value();
        auto image = import_busybox(*store_, dir_->path());
        ASSERT_FALSE(image.is_error()) << image.error().message();
        image_id_ = *image;
        options_.data_root = dir_->path() + "/data";
        options_.exec_root = dir_->path() + "/exec";
        options_.host_mode = true;
        options_.cgroup_parent = "corral-engine-test-" + std::to_string(::getpid());
        options_.shim_path = "/proc/self/exe";
        options_.default_stop_timeout = 2;
        make_engine();
    }

    void TearDown() override {
        if (engine_) {
            engine_->stop_all(0);
            engine_.reset();
        }
        if (dir_) {
            // Leftover rootfs mounts would keep the temp dir busy.
            (void)run({"sh", "-c",
                       "grep -o ' " + dir_->path() +
                           "[^ ]*' /proc/self/mounts | sort -r | xargs -r -n1 umount -l"});
        }
        std::string cgroup = "/sys/fs/cgroup/" + options_.cgroup_parent;
        ::rmdir(cgroup.c_str());
    }

    void make_engine() {
        auto engine = Engine::create(options_, *store_);
        ASSERT_FALSE(engine.is_error()) << engine.error().message();
        engine_ = std::move(engine).release_value();
    }

    CreateRequest request(std::vector<std::string> cmd, std::string name = {}) {
        CreateRequest create;
        create.name = std::move(name);
        create.config.image = "busybox:test";
        create.config.cmd = std::move(cmd);
        return create;
    }

    std::string create_and_start(std::vector<std::string> cmd, std::string name = {}) {
        auto created = engine_->create_container(request(std::move(cmd), std::move(name)));
        EXPECT_FALSE(created.is_error()) << created.error().message();
        if (created.is_error())
            return {};
        auto started = engine_->start(created->id);
        EXPECT_FALSE(started.is_error()) << started.error().message();
        return created->id;
    }

    // With no engine running: waits until the container's shim has ended (its exit status
    // written, the process gone), as read from the shim's own file in the exec root.
    void wait_for_shim_to_end(const std::string& id) {
        std::string shim_file = options_.exec_root + "/containers/" + id + "/shim.json";
        auto shim_text = fs::read_file(shim_file);
        ASSERT_FALSE(shim_text.is_error());
        auto at = shim_text->find("\"shim_pid\":");
        ASSERT_NE(at, std::string::npos) << *shim_text;
        int shim_pid = std::atoi(shim_text->c_str() + at + 11);
        ASSERT_GT(shim_pid, 0);
        for (int i = 0; i < 200 && ::kill(shim_pid, 0) == 0; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        ASSERT_NE(::kill(shim_pid, 0), 0);
    }

    int wait_exit(const std::string& id) {
        auto result = engine_->wait(id, WaitCondition::not_running, {});
        EXPECT_FALSE(result.is_error()) << result.error().message();
        return result.is_error() ? -1 : result->exit_code;
    }

    std::string all_logs(const std::string& id, bool stdout_stream = true,
                         bool stderr_stream = true) {
        std::string out;
        LogOptions options;
        options.stdout_stream = stdout_stream;
        options.stderr_stream = stderr_stream;
        auto read = engine_->logs(id, options,
                                  [&](LogStream, std::string_view data) -> ErrorOr<void> {
                                      out.append(data);
                                      return {};
                                  },
                                  {});
        EXPECT_FALSE(read.is_error()) << read.error().message();
        return out;
    }

    std::optional<fs::TempDir> dir_;
    std::unique_ptr<image::Store> store_;
    std::string image_id_;
    EngineOptions options_;
    std::unique_ptr<Engine> engine_;
};

// Reads docker's multiplexed frames until end of stream: (stdout, stderr).
inline std::pair<std::string, std::string> read_frames(int fd) {
    std::string raw;
    char buffer[4096];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof(buffer));
        if (n <= 0)
            break;
        raw.append(buffer, static_cast<size_t>(n));
    }
    std::pair<std::string, std::string> streams;
    size_t position = 0;
    while (position + 8 <= raw.size()) {
        auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(raw[i])); };
        uint32_t size = byte(position + 4) << 24 | byte(position + 5) << 16 |
                        byte(position + 6) << 8 | byte(position + 7);
        std::string payload = raw.substr(position + 8, size);
        (raw[position] == 2 ? streams.second : streams.first) += payload;
        position += 8 + size;
    }
    return streams;
}

}  // namespace corral::engine::testing
