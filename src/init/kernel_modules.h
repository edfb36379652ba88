// Kernel modules: modules.dep parsing, dependency order, loading with finit_module(2).
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/error.h"
#include "base/fd.h"

namespace corral::init {

// The module list of the initrd (os/modules).
inline constexpr std::string_view kModuleList = "/etc/corral/modules";

// A module's name as the kernel knows it: the file name without directory and ".ko*", with
// dashes as underscores ("kernel/fs/fat/vfat.ko" → "vfat", "crc32c-intel.ko" → "crc32c_intel").
std::string module_name(std::string_view path);

class ModuleIndex {
  public:
    // Parses modules.dep text ("path: dep-path dep-path..."). Malformed lines are errors.
    static ErrorOr<ModuleIndex> parse(std::string_view modules_dep);

    // The files to load for `names`, in load order: every module after its dependencies, each
    // once. An unknown name is a not_found error naming it; a dependency cycle is an error.
    ErrorOr<std::vector<std::string>> load_order(const std::vector<std::string>& names) const;

    size_t size() const { return dependencies_.size(); }
    // The dependency paths of a module file, or nullptr when the file is not in the index.
    const std::vector<std::string>* dependencies_of(const std::string& path) const;

  private:
    ModuleIndex() = default;
    std::map<std::string, std::vector<std::string>> dependencies_;  // path → dependency paths
    std::map<std::string, std::string> path_by_name_;
};

// Reads a module list (one name per line, '#' comments, blank lines ignored). Every name, in
// order; the `[disks]` and `[next]` lines are not names.
std::vector<std::string> parse_module_list(std::string_view text);

// The two parts of a module list, each in load order. `system` (before a line `[disks]`): the
// state disk's path first, then what the system and its services need (container roots, the
// power button, network cards, config drives, container networking); the services wait for
// it. `disks` (after the line): the other disks and the CD-ROM, whose probes wait on the
// hardware (and, under emulation, hold up every module loaded while they run): loaded last,
// waited for by init only when its state disk or boot medium has not shown up, and by
// cloud-init before it looks for its datasource disks.
//
// A line `[next]` in either part: the modules below it start loading only once every module
// above it was tried. The drivers of a bus's devices name them in the order they find them
// (the first virtio disk vda, the first virtio network card eth0) only when the bus driver
// has found them all before: loaded beside it, a driver can meet a later device first.
struct ModuleStages {
    std::vector<std::string> system;
    std::vector<std::string> disks;
    // Positions in `system` and `disks` where a `[next]` line stood (the index of the first
    // name after it).
    std::vector<size_t> system_barriers;
    std::vector<size_t> disks_barriers;
};
ModuleStages parse_module_stages(std::string_view text);

struct ModuleLoadReport {
    std::vector<std::string> loaded;
    std::vector<std::string> already_loaded;  // built in or loaded before (EEXIST)
    std::vector<std::string> failed;          // "name: error"
};

// Loads the modules of `list_path` from /lib/modules/<release>/ (release from uname), the
// `system` part before the `disks` part. A module that fails is reported and the others still
// load: a missing NIC driver must not stop boot. Modules load side by side, each once its
// dependencies are in: the time goes into their init functions (device probes), which overlap.
// `on_module_tried`, when given, is called with each module's name once it loaded or failed
// (a module built into the kernel, or one not in modules.dep, at once).
ErrorOr<ModuleLoadReport> load_module_list(
    const std::string& list_path, const std::string& modules_root = "/lib/modules",
    const std::function<void(const std::string& name)>& on_module_tried = {});

// load_module_list on a thread of its own, so that init looks for its disks while the drivers
// of the others still probe: done_fd() becomes readable when the loading is over.
class ModuleLoader {
  public:
    static ErrorOr<std::unique_ptr<ModuleLoader>> start(std::string list_path,
                                                        std::string modules_root = "/lib/modules");
    ModuleLoader(const ModuleLoader&) = delete;
    ModuleLoader& operator=(const ModuleLoader&) = delete;
    ~ModuleLoader();

    // An eventfd, readable once every module of the list was tried.
    int done_fd() const { return done_.get(); }
    // Waits for the end of the loading: its report, and when it ended (boot_timeline seconds).
    const ErrorOr<ModuleLoadReport>& wait();
    double finished_seconds() const { return finished_seconds_; }
    // Waits until the module `name` (as module_name gives it) was tried, or the loading is over.
    void wait_for_module(const std::string& name);
    // Waits until every module of the list's `system` part was tried (the `disks` part may
    // still be loading), or the loading is over.
    void wait_for_system_part();

  private:
    explicit ModuleLoader(UniqueFd done) : done_(std::move(done)) {}
    // Waits until each of `names` was tried, or the loading is over.
    void wait_for_modules(const std::vector<std::string>& names);

    UniqueFd done_;
    std::thread thread_;
    std::optional<ErrorOr<ModuleLoadReport>> report_;
    std::mutex mutex_;
    std::condition_variable progress_;
    std::set<std::string> tried_;  // guarded by mutex_
    // The list's `system` part; nullopt when the list could not be read at the start (the
    // loading then ends at once, with that error).
    std::optional<std::vector<std::string>> system_part_;
    bool over_ = false;  // guarded by mutex_
    double finished_seconds_ = 0;
};

}  // namespace corral::init
