// crun invocations: kill, delete, the processes of a container, and exec.
#include "runtime/crun.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "base/sys.h"
#include "runtime/capabilities.h"
#include "runtime/console.h"
#include "runtime/oci_spec.h"
#include "runtime/user.h"

namespace corral::runtime {

std::vector<std::string> crun_command(const RuntimeOptions& options,
                                      std::vector<std::string> arguments) {
    std::vector<std::string> argv = {options.crun_path, "--root", options.crun_root};
    for (auto& argument : arguments)
        argv.push_back(std::move(argument));
    return argv;
}

namespace {

std::string trim(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
        text.pop_back();
    return text;
}

}  // namespace

namespace {

// argv[0] as execvp would find it.
std::string find_in_path(const std::string& program) {
    if (program.find('/') != std::string::npos)
        return program;
    const char* path = ::getenv("PATH");
    std::string_view rest = path ? path : "/usr/local/bin:/usr/bin:/bin";
    while (!rest.empty()) {
        size_t colon = rest.find(':');
        std::string dir(rest.substr(0, colon));
        rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
        if (dir.empty())
            continue;
        std::string candidate = fs::join(dir, program);
        struct stat st {};
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
            ::access(candidate.c_str(), X_OK) == 0)
            return candidate;
    }
    return {};
}

}  // namespace

ErrorOr<std::string> pin_runtime_binary(const std::string& program, const std::string& directory) {
    std::string source = find_in_path(program);
    if (source.empty())
        return Error::not_found("`" + program + "` not found in PATH");
    std::string name = fs::basename(source);
    std::string lower = fs::join(directory, "lower");
    std::string mounted = fs::join(directory, "bin");
    std::string target = fs::join(mounted, name);
    ::setenv("_LIBCONTAINER_CLONED_BINARY", "1", 1);
    // Already pinned by an earlier run of the engine in this mount namespace: keep it (shims of
    // that run still use it).
    auto present = sys::stat_if_exists(target);
    auto is_mount = fs::is_mount_point(mounted);
    if (present && *present && is_mount && *is_mount)
        return target;
    (void)::umount2(mounted.c_str(), MNT_DETACH);
    std::string empty = fs::join(directory, "empty");
    TRY(fs::mkdir_p(lower, 0700));
    TRY(fs::mkdir_p(empty, 0700));
    TRY(fs::mkdir_p(mounted, 0700));
    // A copy in a directory of its own, seen through a read-only overlay: crun's check finds no
    // seals on an overlay file (on a tmpfs file it finds F_SEAL_SEAL and copies itself anyway,
    // whatever the mount), then the read-only mount and the variable above.
    auto content = TRY(fs::read_file(source, 64 << 20));
    TRY(fs::write_file_atomic(fs::join(lower, name), content, 0500));
    // Without an upper directory overlayfs takes two lower ones (the second one empty).
    TRY(sys::mount("overlay", mounted, "overlay", MS_RDONLY | MS_NODEV | MS_NOSUID,
                   "lowerdir=" + lower + ":" + empty));
    return target;
}

ErrorOr<std::string> run_crun(const RuntimeOptions& options, std::vector<std::string> arguments) {
    std::string command = arguments.empty() ? "" : arguments.front();
    auto result = TRY(run(crun_command(options, std::move(arguments))));
    if (result.exit_code != 0) {
        std::string message = trim(result.err);
        if (message.empty())
            message = "exit code " + std::to_string(result.exit_code);
        Error error(ErrorKind::internal, "crun " + command + ": " + message);
        if (message.find("does not exist") != std::string::npos ||
            message.find("No such file") != std::string::npos)
            error = Error::not_found("crun " + command + ": " + message);
        return error;
    }
    return result.out;
}

ErrorOr<void> kill(const RuntimeOptions& options, const std::string& id, int signal) {
    TRY(run_crun(options, {"kill", id, std::to_string(signal)}));
    return {};
}

namespace {

// What `crun delete --force` does for a container whose state says cgroupfs (not systemd):
// kill what is left in its cgroup, remove the cgroup, remove crun's state dir. Done here it
// costs a few system calls instead of two execs of crun with their dynamic loading, on the
// path of every container exit. false: something else is needed (systemd scope, a nested
// cgroup, a cgroup that stays busy, an unreadable state): the caller runs crun.
bool delete_stopped_directly(const RuntimeOptions& options, const std::string& state_dir) {
    auto status_text = fs::read_file(fs::join(state_dir, "status"), 1 << 20);
    if (!status_text)
        return false;
    std::string cgroup_path;
    try {
        auto status = nlohmann::json::parse(*status_text);
        if (status.value("systemd-cgroup", false) || !status.value("scope", "").empty())
            return false;
        cgroup_path = status.value("cgroup-path", "");
    } catch (const std::exception&) {
        return false;
    }
    if (cgroup_path.find("..") != std::string::npos)
        return false;
    if (!cgroup_path.empty()) {
        std::string cgroup =
            options.cgroup_mount + (cgroup_path.front() == '/' ? "" : "/") + cgroup_path;
        if (::access(cgroup.c_str(), F_OK) == 0) {
            // Whatever outlived the container's init (host pid namespace) goes now; the kernel
            // needs a moment to empty the cgroup after that.
            if (auto kill_file = sys::open(fs::join(cgroup, "cgroup.kill"), O_WRONLY | O_CLOEXEC))
                (void)sys::write_all(kill_file->get(), "1");
            bool removed = false;
            for (int attempt = 0; attempt < 100 && !removed; ++attempt) {
                if (::rmdir(cgroup.c_str()) == 0 || errno == ENOENT)
                    removed = true;
                else if (errno != EBUSY)
                    return false;  // ENOTEMPTY: child cgroups, crun removes them
                else
                    ::usleep(1000);
            }
            if (!removed)
                return false;
        }
    }
    return !fs::remove_tree(state_dir).is_error();
}

}  // namespace

ErrorOr<void> delete_container(const RuntimeOptions& options, const std::string& id) {
    // crun keeps a container's state in <root>/<id>; without it there is nothing to delete,
    // and the common case (a fresh start, a remove after the shim's own delete) costs no exec.
    if (id.empty() || id.find('/') != std::string::npos || id == "." || id == "..")
        return Error::invalid("invalid container id `" + id + "`");
    std::string state_dir = fs::join(options.crun_root, id);
    if (!TRY(fs::exists(state_dir)))
        return {};
    if (delete_stopped_directly(options, state_dir))
        return {};
    auto result = run_crun(options, {"delete", "--force", id});
    if (!result && result.error().kind() != ErrorKind::not_found)
        return result.release_error();
    return {};
}

ErrorOr<std::vector<pid_t>> container_pids(const RuntimeOptions& options, const std::string& id) {
    // The cgroup lists every process, including those that escaped to a child cgroup: read
    // cgroup.procs of the container's cgroup and its descendants.
    std::vector<pid_t> pids;
    std::vector<std::string> pending = {cgroup_dir(options, id)};
    size_t visited = 0;
    while (!pending.empty() && visited < 4096) {
        std::string dir = pending.back();
        pending.pop_back();
        ++visited;
        auto procs = fs::read_file(fs::join(dir, "cgroup.procs"), 16 << 20);
        if (!procs) {
            if (visited == 1)
                return Error::not_found("no such container cgroup: " + dir);
            continue;
        }
        std::string_view text = *procs;
        while (!text.empty()) {
            size_t end = text.find('\n');
            std::string_view line = text.substr(0, end);
            pid_t pid = 0;
            auto [ptr, error] = std::from_chars(line.data(), line.data() + line.size(), pid);
            if (error == std::errc() && pid > 0)
                pids.push_back(pid);
            if (end == std::string_view::npos)
                break;
            text.remove_prefix(end + 1);
        }
        auto entries = fs::list_dir(dir);
        if (!entries)
            continue;
        for (const auto& entry : *entries) {
            std::string child = fs::join(dir, entry);
            auto st = sys::lstat(child);
            if (st && S_ISDIR(st->st_mode))
                pending.push_back(child);
        }
    }
    std::sort(pids.begin(), pids.end());
    return pids;
}

ErrorOr<void> resize_pty(int pty_fd, unsigned short rows, unsigned short columns) {
    winsize size{};
    size.ws_row = rows;
    size.ws_col = columns;
    if (::ioctl(pty_fd, TIOCSWINSZ, &size) < 0)
        return Error::from_errno("ioctl TIOCSWINSZ", "pty", errno);
    return {};
}

ErrorOr<void> ExecProcess::resize(unsigned short rows, unsigned short columns) {
    if (!pty_master_)
        return Error::invalid("exec has no tty");
    return resize_pty(pty_master_.get(), rows, columns);
}

ErrorOr<ExecProcess> exec(const RuntimeOptions& options, const ExecRequest& request) {
    if (request.args.empty())
        return Error::invalid("exec: no command");
    const std::string& user = request.user.empty() ? request.container_user : request.user;
    auto resolved = TRY(resolve_user_in_rootfs(rootfs_dir(request.container_dir), user,
                                               request.container_host_config.group_add));
    oci::Process process;
    process.terminal = request.tty;
    if (request.tty && request.rows && request.columns)
        process.console_size = oci::ConsoleSize{request.rows, request.columns};
    process.user = {resolved.uid, resolved.gid, resolved.additional_gids};
    process.args = request.args;
    process.env = request.env;
    bool has_home = false;
    for (const auto& entry : process.env)
        has_home = has_home || entry.starts_with("HOME=");
    if (!has_home)
        process.env.push_back("HOME=" + resolved.home);
    process.cwd = request.working_dir.empty() ? "/" : request.working_dir;
    const auto& host = request.container_host_config;
    auto capabilities = TRY(
        compute_capabilities(request.privileged || host.privileged, host.cap_add, host.cap_drop));
    process.capabilities.bounding = capabilities;
    process.capabilities.effective = capabilities;
    process.capabilities.permitted = capabilities;
    std::string json =
        oci::to_json(process).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);

    // The process description goes through a memfd: nothing to clean up on disk.
    UniqueFd memfd(::memfd_create("corral-exec-process", MFD_CLOEXEC));
    if (!memfd)
        return Error::from_errno("memfd_create", errno);
    TRY(sys::write_all(memfd.get(), json));

    SpawnOptions spawn_options;
    std::vector<std::string> arguments = {"exec", "--process", "/proc/self/fd/3"};
    spawn_options.fds.push_back({3, memfd.get()});
    UniqueFd console_listener;
    std::string console_path;
    std::array<UniqueFd, 2> error_pipe;
    if (request.tty) {
        TRY(fs::mkdir_p(request.exec_root_dir, 0700));
        console_path = console_socket_path(request.exec_root_dir);
        console_listener = TRY(listen_unix_long(console_path, 0600));
        // crun connects by path: a relative one from the exec-root keeps it short.
        spawn_options.cwd = request.exec_root_dir;
        // crun's stderr: read only if it fails before handing over the console.
        error_pipe = TRY(sys::pipe());
        spawn_options.fds.push_back({2, error_pipe[1].get()});
        arguments.push_back("--tty");
        arguments.push_back("--console-socket");
        arguments.push_back(fs::basename(console_path));
    } else {
        if (request.stdin_fd >= 0)
            spawn_options.fds.push_back({0, request.stdin_fd});
        if (request.stdout_fd >= 0)
            spawn_options.fds.push_back({1, request.stdout_fd});
        if (request.stderr_fd >= 0)
            spawn_options.fds.push_back({2, request.stderr_fd});
    }
    arguments.push_back(request.id);
    spawn_options.argv = crun_command(options, std::move(arguments));
    auto child = spawn(spawn_options);
    if (!child) {
        if (!console_path.empty())
            ::unlink(console_path.c_str());
        return child.release_error();
    }
    error_pipe[1].reset();
    UniqueFd master;
    if (request.tty) {
        auto received = receive_pty_master(console_listener.get(), child->pidfd());
        ::unlink(console_path.c_str());
        if (!received) {
            (void)child->wait();
            // crun's own words say why (no such executable, container not running...).
            char buffer[4096];
            auto n = sys::read(error_pipe[0].get(), buffer);
            std::string message = n && *n > 0 ? trim(std::string(buffer, *n)) : "";
            if (!message.empty())
                return Error::internal("exec: " + message);
            return received.release_error().with_context("exec");
        }
        master = std::move(received).release_value();
    }
    return ExecProcess(std::move(child).release_value(), std::move(master));
}

}  // namespace corral::runtime
