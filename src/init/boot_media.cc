#include "init/boot_media.h"

#include <sys/mount.h>

#include <climits>

#include "base/fs.h"
#include "base/sys.h"
#include "init/block_devices.h"

namespace corral::init {

ErrorOr<std::optional<std::string>> mount_boot_media(int wait_seconds, int modules_done_fd) {
    std::string spec = "LABEL=" + std::string(kBootMediaLabel);
    std::optional<std::string> device;
    // While the CD-ROM drivers still load, the medium is waited for as it shows up; the
    // timeout starts once they have.
    if (modules_done_fd >= 0)
        device = TRY(wait_for_device(spec, INT_MAX / 2, modules_done_fd));
    if (!device)
        device = TRY(wait_for_device(spec, wait_seconds));
    if (!device)
        return std::optional<std::string>();
    std::string target(kBootMediaMount);
    TRY(fs::mkdir_p(target));
    TRY(sys::mount(*device, target, "iso9660", MS_RDONLY | MS_NOSUID | MS_NODEV));
    return std::optional<std::string>(target);
}

}  // namespace corral::init
