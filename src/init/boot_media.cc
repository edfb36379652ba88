#include "init/boot_media.h"

#include <sys/mount.h>

#include "base/fs.h"
#include "base/sys.h"
#include "init/block_devices.h"

namespace corral::init {

ErrorOr<std::optional<std::string>> mount_boot_media(int wait_seconds) {
    auto device = TRY(wait_for_device("LABEL=" + std::string(kBootMediaLabel), wait_seconds));
    if (!device)
        return std::optional<std::string>();
    std::string target(kBootMediaMount);
    TRY(fs::mkdir_p(target));
    TRY(sys::mount(*device, target, "iso9660", MS_RDONLY | MS_NOSUID | MS_NODEV));
    return std::optional<std::string>(target);
}

}  // namespace corral::init
