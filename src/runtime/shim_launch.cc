// corral-shim's start of the container: `crun run --detach`, the tty handshake, the pid file.
#include "runtime/shim_launch.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "base/process.h"
#include "base/sys.h"
#include "runtime/console.h"
#include "runtime/crun.h"
#include "runtime/files.h"

namespace corral::runtime {

namespace {

// What crun wrote to stderr before failing (already in the pipe: crun has exited).
std::string read_failure(int fd, int exit_code) {
    std::string message;
    if (fd >= 0) {
        int flags = ::fcntl(fd, F_GETFL);
        if (flags >= 0)
            ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
        char buffer[4096];
        ssize_t n = ::read(fd, buffer, sizeof(buffer));
        if (n > 0)
            message.assign(buffer, static_cast<size_t>(n));
    }
    while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
        message.pop_back();
    if (message.empty())
        message = "exit code " + std::to_string(exit_code);
    return message;
}

// The pty's first size goes in config.json (process.consoleSize): crun sets it before the
// container's process runs. Setting it on the master once crun hands it over comes too late
// when the process is quick (`stty size` read 0 0).
ErrorOr<void> set_console_size(const std::string& bundle, unsigned short rows,
                               unsigned short columns) {
    std::string path = fs::join(bundle, "config.json");
    auto text = TRY(fs::read_file(path, 16 << 20));
    auto spec = nlohmann::json::parse(text, nullptr, false);
    if (spec.is_discarded() || !spec.is_object() || !spec.contains("process") ||
        !spec["process"].is_object())
        return Error::internal(path + ": not an OCI spec with a process object");
    spec["process"]["consoleSize"] = {{"height", rows}, {"width", columns}};
    return write_file_replace(path, spec.dump(), 0600);
}

}  // namespace

ErrorOr<LaunchedContainer> launch_container(const RuntimeOptions& runtime,
                                            const ShimOptions& options, const LaunchStdio& stdio) {
    std::string pid_file = fs::join(options.exec_root_dir, "container.pid");
    SpawnOptions spawn_options;
    spawn_options.argv = crun_command(
        runtime,
        {"run", "--detach", "--bundle", bundle_dir(options.exec_root_dir), "--pid-file", pid_file});
    spawn_options.fixed_addresses = runtime.crun_fixed_addresses;
    UniqueFd console_listener;
    std::string console_path;
    std::array<UniqueFd, 2> tty_errors;
    if (options.tty) {
        if (options.rows && options.columns)
            TRY(set_console_size(bundle_dir(options.exec_root_dir), options.rows, options.columns));
        tty_errors = TRY(sys::pipe());
        // crun connects from inside the bundle dir (it changes into it): a socket there has a
        // short relative path whatever the length of the absolute one.
        console_path = fs::join(bundle_dir(options.exec_root_dir), "console.sock");
        console_listener = TRY(listen_unix_long(console_path, 0600));
        spawn_options.argv.push_back("--console-socket");
        spawn_options.argv.push_back("console.sock");
        spawn_options.fds.push_back({2, tty_errors[1].get()});
    } else {
        if (stdio.stdin_fd >= 0)
            spawn_options.fds.push_back({0, stdio.stdin_fd});
        if (stdio.stdout_fd >= 0)
            spawn_options.fds.push_back({1, stdio.stdout_fd});
        if (stdio.stderr_fd >= 0)
            spawn_options.fds.push_back({2, stdio.stderr_fd});
    }
    spawn_options.argv.push_back(options.id);
    Child crun = TRY(spawn(spawn_options));
    tty_errors[1].reset();

    LaunchedContainer launched;
    if (options.tty) {
        auto master = receive_pty_master(console_listener.get(), crun.pidfd());
        ::unlink(console_path.c_str());
        if (master)
            launched.pty_master = std::move(master).release_value();
    }
    int exit_code = TRY(crun.wait());
    if (exit_code != 0 || (options.tty && !launched.pty_master)) {
        int errors = options.tty ? tty_errors[0].get() : stdio.errors;
        return Error::internal("crun run: " + read_failure(errors, exit_code));
    }
    auto pid_text = TRY(fs::read_file(pid_file, 64));
    launched.pid = std::atoi(pid_text.c_str());
    if (launched.pid <= 0)
        return Error::internal("crun run: no container pid in " + pid_file);
    return launched;
}

}  // namespace corral::runtime
