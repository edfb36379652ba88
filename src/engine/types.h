// The engine's data model: what a container is asked to be (CreateRequest), and what it is
// (Container). Docker-shaped so the API layer maps it field by field, but plain C++ types:
// JSON stays at the edge (api/ parses requests; engine/state.cc persists).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace corral::engine {

struct MountSpec {
    enum class Type { bind, tmpfs, volume };
    Type type = Type::bind;
    std::string source;  // host path (bind), volume name (volume), empty (tmpfs)
    std::string target;  // absolute path in the container
    bool read_only = false;
    // "", "private", "rprivate", "shared", "rshared", "slave", "rslave".
    std::string propagation;
    // tmpfs: "size=64m,mode=1777"-style options.
    std::string options;
    // From the legacy Binds form ("-v /src:/dst"): a missing source directory is created, as
    // docker does; from Mounts ("--mount type=bind") a missing source is an error.
    bool create_source = false;
};

struct DeviceSpec {
    std::string host_path;
    std::string container_path;  // defaults to host_path
    std::string permissions = "rwm";
};

struct RestartPolicy {
    enum class Name { no, always, on_failure, unless_stopped };
    Name name = Name::no;
    int maximum_retry_count = 0;  // on_failure only; 0 = unlimited
};

struct LogConfig {
    std::string type = "json-file";  // "json-file" or "none"
    uint64_t max_size = 0;           // bytes per file; 0 = unlimited
    int max_file = 1;                // files kept, including the current one
    // The options as the client gave them ("max-size": "1k"): inspect shows these, as docker.
    std::map<std::string, std::string> options{};
};

struct Resources {
    int64_t memory = 0;       // bytes; 0 = unlimited
    int64_t memory_swap = 0;  // bytes of memory+swap; -1 = unlimited swap
    int64_t nano_cpus = 0;    // 1e9 = one CPU
    int64_t cpu_shares = 0;
    int64_t cpu_quota = 0;
    int64_t cpu_period = 0;
    std::string cpuset_cpus;
    int64_t pids_limit = 0;
};

// A pty's first size, docker's ConsoleSize ([height, width]); {0, 0} when the client gave
// none. The client still resizes after the start; this size is the one a process that reads
// its size at once (`stty size`) sees.
struct ConsoleSize {
    unsigned short height = 0;
    unsigned short width = 0;
    bool given() const { return height != 0 || width != 0; }
    bool operator==(const ConsoleSize&) const = default;
};

// What the image and the user ask the process to be (docker's "Config").
struct ContainerConfig {
    std::string image;  // as the user named it
    std::string hostname;
    std::string domainname;
    std::string user;
    std::vector<std::string> env;                        // "KEY=value"
    std::optional<std::vector<std::string>> cmd;         // unset: the image's
    std::optional<std::vector<std::string>> entrypoint;  // unset: the image's; [] clears it
    std::string working_dir;
    std::map<std::string, std::string> labels;
    bool tty = false;
    bool open_stdin = false;
    bool stdin_once = false;
    bool attach_stdin = false;
    bool attach_stdout = false;
    bool attach_stderr = false;
    std::string stop_signal;          // "SIGTERM" when empty
    std::optional<int> stop_timeout;  // seconds; 10 when unset
};

// How the host runs it (docker's "HostConfig").
struct HostConfig {
    std::vector<MountSpec> mounts;          // from Binds, Mounts and Tmpfs
    std::vector<std::string> volumes_from;  // "name[:ro|:rw]"
    bool read_only_rootfs = false;
    bool privileged = false;
    std::vector<std::string> cap_add;  // "CAP_SYS_ADMIN" or "SYS_ADMIN" or "ALL"
    std::vector<std::string> cap_drop;
    // docker's --security-opt, as given ("seccomp=unconfined", "no-new-privileges", ...).
    std::vector<std::string> security_opt{};
    std::vector<DeviceSpec> devices;
    // "" / "default" / "bridge" / "none": a private network namespace with loopback only;
    // "host"; "container:NAME".
    std::string network_mode;
    std::string pid_mode;  // "", "host", "container:NAME"
    std::string ipc_mode;  // "", "private", "shareable", "host", "container:NAME"
    std::string uts_mode;  // "", "host"
    RestartPolicy restart_policy;
    bool auto_remove = false;
    Resources resources;
    LogConfig log_config;
    std::map<std::string, std::string> sysctls;
    std::vector<std::string> extra_hosts;  // "host:ip"
    std::vector<std::string> dns;
    std::vector<std::string> dns_search;
    std::vector<std::string> group_add;
    int64_t shm_size = 0;  // bytes; 64 MiB when 0
    bool init = false;
    ConsoleSize console_size{};  // used at each start of a tty container
};

struct CreateRequest {
    std::string name;  // empty: the engine picks one
    ContainerConfig config;
    HostConfig host_config;
};

enum class Status { created, running, paused, restarting, removing, exited, dead };
const char* status_name(Status status);

struct ContainerState {
    Status status = Status::created;
    int pid = 0;
    int exit_code = 0;
    bool oom_killed = false;
    std::string error;
    int64_t started_at_ns = 0;   // wall clock; 0 = never
    int64_t finished_at_ns = 0;  // wall clock; 0 = never
    int restart_count = 0;
    // Set when the user stopped it, so "unless-stopped" and "always" know not to restart
    // after a daemon restart.
    bool stopped_by_user = false;
};

// A mount as the container gets it, after volumes were created and volumes_from resolved
// (docker inspect's "Mounts").
struct MountPoint {
    MountSpec::Type type = MountSpec::Type::bind;
    std::string name;         // volume name; empty otherwise
    std::string source;       // host path (the volume's data directory for volumes)
    std::string destination;  // absolute path in the container
    bool read_only = false;
    std::string propagation;
    std::string options;  // tmpfs options
};

struct Container {
    std::string id;    // 64 hex digits
    std::string name;  // without the leading "/"
    int64_t created_ns = 0;
    std::string image_id;  // "sha256:..."
    // The process actually run: entrypoint + cmd resolved against the image.
    std::string path;
    std::vector<std::string> args;
    ContainerConfig config;  // merged with the image's defaults
    HostConfig host_config;
    ContainerState state;
    std::string log_path;
    std::vector<MountPoint> mounts;
    // Exec instances of this container that the engine still remembers.
    std::vector<std::string> exec_ids;
};

// Filters of `ps` (docker's "filters" query parameter, already decoded).
struct ListOptions {
    bool all = false;
    std::vector<std::string> labels{};     // "key" or "key=value"; all must match
    std::vector<std::string> names{};      // substring match on the name
    std::vector<std::string> ids{};        // prefix match on the id
    std::vector<std::string> statuses{};   // "created", "running", "exited", ...
    std::vector<std::string> ancestors{};  // image name or id
    int limit = -1;
};

// What `docker exec` asks for.
struct ExecConfig {
    std::vector<std::string> cmd;
    std::vector<std::string> env;  // "KEY=value", added to the container's
    std::string user;              // the container's when empty
    std::string working_dir;       // the container's when empty
    bool tty = false;
    bool attach_stdin = false;
    bool attach_stdout = true;
    bool attach_stderr = true;
    bool privileged = false;
    std::string detach_keys;
    ConsoleSize console_size{};  // tty only; the start's, when given, wins
};

// An exec instance, as `docker exec inspect` shows it.
struct ExecInfo {
    std::string id;  // 64 hex digits
    std::string container_id;
    ExecConfig config;
    bool running = false;
    std::optional<int> exit_code;  // set once it ended
    int pid = 0;
    bool open_stdin = false;
    bool open_stdout = false;
    bool open_stderr = false;
};

// An engine event, as /events reports it.
struct Event {
    std::string type;    // "container", "image"
    std::string action;  // "create", "start", "die", "destroy", "pull", "tag", ...
    std::string id;
    std::map<std::string, std::string> attributes;  // name, image, exitCode, labels...
    int64_t time_ns = 0;
};

}  // namespace corral::engine
