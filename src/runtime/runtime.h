// The layer between the engine and the OCI runtime (crun): OCI bundles (config.json), the
// overlayfs rootfs, crun commands (kill, delete, ps) and exec. The per-container supervisor
// (corral-shim) and its client are in runtime/shim_client.h; host-mode setup in
// runtime/host_mode.h.
//
// Directory layout (the engine chooses the two roots, the runtime the names inside):
//   <container_dir>/                    persistent, one per container
//     rootfs/                           the overlay's mount point (not in the exec root: the
//                                       system services bind /run, and such a bind would copy
//                                       every container's rootfs mount into the new container)
//     upper/, work/                     the overlay's writable layer
//   <exec_root_dir>/                    runtime state of one container (may be on tmpfs)
//     bundle/config.json                remade at every start (root.path is the absolute
//                                       rootfs), as containerd keeps its bundles under /run:
//                                       no file is written on the data disk per start
//     hostname, hosts, resolv.conf      bind-mounted into the container, written at each start
//     attach.sock                       the shim's attach socket (gone once the shim ends)
//     shim.json                         shim and container pids (ShimState)
//     container.pid                     written by crun run
//     exit.json                         exit status, written when the container has exited
//     console-*.sock                    transient, for tty exec
// crun's own state lives in RuntimeOptions::crun_root/<id>; the tty console socket of the
// container is <exec_root_dir>/bundle/console.sock while crun run runs. fs::remove_tree does
// not descend into mount points: a container dir goes after unmount_rootfs.
//
// The seccomp profile is the engine's choice (BundleRequest::seccomp_profile).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/fd.h"
#include "base/process.h"
#include "engine/types.h"

namespace corral::runtime {

// Set once by the engine; every call takes it.
struct RuntimeOptions {
    std::string crun_path = "crun";  // looked up in PATH when it has no slash
    // crun's --root (its state dir). Keep it under the engine's exec-root so our containers
    // never mix with other users of crun.
    std::string crun_root = "/run/corral/crun";
    // Where cgroup2 is mounted, and the parent cgroup of every container, relative to it.
    // A container's cgroup is <cgroup_mount>/<cgroup_parent>/<id>.
    std::string cgroup_mount = "/sys/fs/cgroup";
    std::string cgroup_parent = "/corral";
    // Device cgroup rules need BPF, which needs memlock a host may not grant: host mode turns
    // this off and then no device rules (neither deny-all nor allow) are sent to crun.
    bool device_cgroup_rules = true;
    // The program that runs the shim; argv[1] is "corral-shim". Empty: the corral-shim
    // executable next to the running one when there is one, else /proc/self/exe.
    std::string shim_program;
    // `crun run` without address space randomization, so that an emulator that translates
    // code (QEMU's TCG) reuses what it translated of crun at the last start instead of
    // translating crun anew each time. The container's own processes get randomization back
    // (linux.personality in config.json). The engine turns it on under such an emulator only.
    bool crun_fixed_addresses = false;
};

// Everything needed to write a container's bundle.
struct BundleRequest {
    std::string id;  // the container id (crun's container name)
    engine::ContainerConfig config;
    engine::HostConfig host_config;
    // The resolved process: path + args (path is argv[0]), env, cwd ("/" when empty), and
    // config.user is resolved against the rootfs's /etc/passwd and /etc/group.
    std::string path;
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::string working_dir;
    // The image's layer directories, lowest first. Empty: an empty rootfs (upper only).
    std::vector<std::string> lower_dirs;
    std::string container_dir;
    std::string exec_root_dir;
    // For "container:NAME" modes: namespace type ("network", "pid", "ipc", "uts") → path of
    // the other container's namespace, /proc/<pid>/ns/<net|pid|ipc|uts>. For a private
    // network: "network" → a new namespace the engine made ahead (runtime/network_namespace.h).
    std::map<std::string, std::string> namespace_paths;
    // Volume mounts (MountSpec::Type::volume): volume name → host directory.
    std::map<std::string, std::string> volume_dirs;
    // Extra lines for /etc/hosts ("ip name ..."), after localhost and extra_hosts.
    std::vector<std::string> extra_hosts_lines;
    // linux.seccomp of config.json (JSON text, chosen by the engine); empty: no filter.
    std::string seccomp_profile{};
    // The same profile compiled (runtime/seccomp_bpf.h), when the engine has it: crun then
    // loads this program (annotation run.oci.seccomp_bpf_data) and config.json carries no
    // linux.seccomp. Empty: crun compiles seccomp_profile.
    std::string seccomp_program{};
    bool no_new_privileges = false;
};

// A warning for the user, as dockerd words it (shown by `docker run`).
using Warnings = std::vector<std::string>;

// Generates config.json's content without touching the disk, except reading the rootfs's
// /etc/passwd and /etc/group for the user and the cgroup parent's cgroup.controllers.
// `rootfs` is the mounted rootfs path (for user resolution).
struct GeneratedSpec {
    std::string json;  // config.json
    Warnings warnings;
};
ErrorOr<GeneratedSpec> generate_spec(const BundleRequest& request, const RuntimeOptions& options,
                                     const std::string& rootfs);

// An overlayfs mount of lower dirs + upper/work onto a target; unmounted when destroyed unless
// released. Lower dir lists longer than a page go through numbered symlinks in
// <container_dir>/layers, mounted with relative paths from a short-lived child process that
// changes directory (the engine is multithreaded: the caller's working directory never changes).
class RootfsMount {
  public:
    // discard_upper: the upper dir is thrown away after this run (a --rm container): mounted
    // `volatile`, no sync of the upper fs at unmount.
    static ErrorOr<RootfsMount> create(const std::vector<std::string>& lower_dirs,
                                       const std::string& upper_dir, const std::string& work_dir,
                                       const std::string& target, bool discard_upper = false);
    RootfsMount(RootfsMount&& other) noexcept;
    RootfsMount& operator=(RootfsMount&&) = delete;
    RootfsMount(const RootfsMount&) = delete;
    ~RootfsMount();
    const std::string& target() const { return target_; }
    // Keeps the mount: the shim (or unmount_rootfs) undoes it after the container exits.
    std::string release();

  private:
    explicit RootfsMount(std::string target) : target_(std::move(target)) {}
    std::string target_;
};

// Unmounts <container_dir>/rootfs if mounted; absent mount is not an error.
ErrorOr<void> unmount_rootfs(const std::string& container_dir);

// The init layer, shared by every container of an engine and laid over its image's layers (the
// top lower dir): the mount points crun needs that an image may lack (dev, proc, sys, and the
// empty etc/hostname, etc/hosts and etc/resolv.conf that the bind mounts cover), as dockerd's
// per-container init layer has them. crun then creates nothing in the container's upper dir
// on the data disk before the container runs (an /etc copied up and three files, then their
// removal with a --rm container). Made once at `directory` (built aside, then renamed into
// place); one found with other content is replaced.
ErrorOr<void> prepare_init_layer(const std::string& directory);

// A prepared bundle: rootfs mounted, config.json and the /etc files written. The mount is
// undone when this object dies unless released (then the shim unmounts it at exit).
struct Bundle {
    std::string bundle_dir;  // <exec_root_dir>/bundle
    Warnings warnings;
    std::optional<RootfsMount> rootfs;
};
// Mounts the rootfs (creating upper/work), resolves the user, writes config.json, hostname,
// hosts and resolv.conf. Call before every start.
ErrorOr<Bundle> prepare_bundle(const BundleRequest& request, const RuntimeOptions& options);

// Path helpers for the layout above.
std::string bundle_dir(const std::string& exec_root_dir);
std::string rootfs_dir(const std::string& container_dir);
std::string attach_socket_path(const std::string& exec_root_dir);
std::string cgroup_dir(const RuntimeOptions& options, const std::string& id);

// crun commands.
// crun protects itself from a container that would write to its binary through
// /proc/PID/exe by copying or bind-mounting itself read-only and executing that, on every
// invocation (an exec more, a mount, a temporary file). It skips that when it runs from a file
// that is not a memfd-capable (tmpfs) file, on a read-only mount, with
// _LIBCONTAINER_CLONED_BINARY set: this copies `program` (looked up in PATH) once into
// <directory>/lower, mounts a read-only overlay of it (and <directory>/empty) on <directory>/bin,
// sets the variable in this process's environment and returns <directory>/bin/<name>, for
// RuntimeOptions::crun_path. A second call in the same mount namespace keeps the first mount.
ErrorOr<std::string> pin_runtime_binary(const std::string& program, const std::string& directory);
// Sends `signal` to the container's init process (crun kill).
ErrorOr<void> kill(const RuntimeOptions& options, const std::string& id, int signal);
// crun delete --force; a container crun does not know is not an error. A cgroupfs container
// is deleted without crun (its cgroup killed and removed, crun's state dir removed); crun runs
// when that is not enough (systemd cgroups, nested cgroups).
ErrorOr<void> delete_container(const RuntimeOptions& options, const std::string& id);
// Pids of every process in the container's cgroup (for `top`).
ErrorOr<std::vector<pid_t>> container_pids(const RuntimeOptions& options, const std::string& id);

// exec: runs a process in a running container as a child of the caller (crun exec).
struct ExecRequest {
    std::string id;
    std::string container_dir;      // for resolving the user against the rootfs
    std::string exec_root_dir;      // for the temporary process.json and console socket
    std::vector<std::string> args;  // args[0] is the program
    std::vector<std::string> env;   // the full environment ("KEY=value")
    std::string user;               // docker's forms; empty: the container's user
    std::string working_dir;        // empty: the container's
    bool tty = false;
    bool privileged = false;  // all capabilities for this process
    // The container's own settings, so the exec process gets the same capabilities.
    engine::HostConfig container_host_config;
    std::string container_user;  // the container's Config.User, used when `user` is empty
    // Non-tty: the child's stdio (-1 = /dev/null). Tty: ignored, the pty master is returned.
    int stdin_fd = -1;
    int stdout_fd = -1;
    int stderr_fd = -1;
    // Tty: initial size (0 = leave the default).
    unsigned short rows = 0;
    unsigned short columns = 0;
};

class ExecProcess {
  public:
    // The crun exec child; its exit code is the exec'd process's exit code (128+N if killed
    // by signal N).
    Child& child() { return child_; }
    // Tty only: the pty master (read output, write input).
    int pty_master() const { return pty_master_.get(); }
    UniqueFd take_pty_master() { return std::move(pty_master_); }
    ErrorOr<void> resize(unsigned short rows, unsigned short columns);
    ErrorOr<int> wait() { return child_.wait(); }

    ExecProcess(Child child, UniqueFd pty_master)
        : child_(std::move(child)), pty_master_(std::move(pty_master)) {}

  private:
    Child child_;
    UniqueFd pty_master_;
};
ErrorOr<ExecProcess> exec(const RuntimeOptions& options, const ExecRequest& request);

// Sets a pty's window size (exec and shim both use it).
ErrorOr<void> resize_pty(int pty_fd, unsigned short rows, unsigned short columns);

}  // namespace corral::runtime
