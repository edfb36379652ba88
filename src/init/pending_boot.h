// What init leaves running when it goes on to the system engine: the boot stage of the kernel
// modules (disk and CD-ROM drivers, whose probes take long under emulation) and the mount of
// the boot medium, which waits for its drivers. The engine starts meanwhile: it waits for the
// medium only when it has system images to load from it, and for the system part of the
// modules (not the other disks' drivers) before it brings up the services. cloud-init, which
// looks for disks, waits for the rest while a marker file says they are still loading.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "base/boot_timeline.h"
#include "init/kernel_modules.h"

namespace corral::init {

// Puts a module stage's failures on the console (the count in the log).
void report_modules(const ErrorOr<ModuleLoadReport>& report);

class PendingBoot {
  public:
    // `modules`: the boot stage, still loading; null when it was loaded before (no thread).
    // Events go to the boot timeline at `timeline_path`.
    explicit PendingBoot(std::unique_ptr<ModuleLoader> modules,
                         std::string timeline_path = std::string(boot_timeline::kDefaultPath));
    PendingBoot(const PendingBoot&) = delete;
    PendingBoot& operator=(const PendingBoot&) = delete;
    ~PendingBoot();

    // An eventfd that is readable once the module stage is over; -1 when there is no loader.
    int modules_done_fd() const { return modules_ ? modules_->done_fd() : -1; }

    // Returns once the kernel knows the file system `type`: at once when it does, else when
    // the stage has tried `module` (or is over).
    void wait_for_file_system(const std::string& type, const std::string& module);

    // Blocks until the module stage is over. The first call puts the modules that failed on
    // the console and records "modules loaded" in the boot timeline (its file is open then).
    void wait_for_modules();

    // Blocks until the modules of the list's system part were tried
    // (ModuleLoader::wait_for_system_part): what the services need.
    void wait_for_system_modules();

    // While the module stage is still loading, `marker` is a file (created now, removed once
    // the stage is over, by a thread that also does wait_for_modules).
    void mark_modules_loading(const std::string& marker);

    // Mounts the boot medium (init::mount_boot_media) on a thread: found as its drivers bring
    // it, or up to `wait_seconds` after they are all in.
    void start_media_mount(int wait_seconds);

    // Blocks until that mount ended: the mount point, or nullopt (no medium, or it failed;
    // the console has said which). nullopt when no mount was started.
    std::optional<std::string> wait_for_media();

  private:
    std::unique_ptr<ModuleLoader> modules_;
    std::string timeline_path_;
    std::once_flag modules_reported_;
    std::thread marker_thread_;
    std::thread media_thread_;
    std::optional<std::string> media_;  // written by media_thread_, read after its join
    std::once_flag media_joined_;
};

}  // namespace corral::init
