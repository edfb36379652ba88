#include "base/block_label.h"

#include <fcntl.h>
#include <linux/cdrom.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <ctime>

#include "base/fs.h"
#include "base/sys.h"

namespace corral::block {

namespace {

uint16_t little16(std::span<const uint8_t> bytes, size_t offset) {
    return static_cast<uint16_t>(bytes[offset] | (bytes[offset + 1] << 8));
}

// A fixed-size label field: up to the first NUL, trailing spaces removed.
std::string label_field(std::span<const uint8_t> bytes, size_t offset, size_t size) {
    std::string label;
    for (size_t i = 0; i < size; ++i) {
        char c = static_cast<char>(bytes[offset + i]);
        if (c == '\0')
            break;
        label.push_back(c);
    }
    while (!label.empty() && label.back() == ' ')
        label.pop_back();
    return label;
}

}  // namespace

std::optional<FileSystemIdentity> identify_file_system(std::span<const uint8_t> head) {
    // ext2/3/4: superblock at 1024, magic 0xEF53 at +0x38, volume name (16 bytes) at +0x78.
    constexpr size_t kExtSuperblock = 1024;
    if (head.size() >= kExtSuperblock + 0x88 && little16(head, kExtSuperblock + 0x38) == 0xEF53)
        return FileSystemIdentity{"ext4", label_field(head, kExtSuperblock + 0x78, 16)};
    // ISO 9660: primary volume descriptor at 32 KiB: type 1, "CD001", volume id at +40 (32).
    constexpr size_t kIsoDescriptor = 32 * 1024;
    if (head.size() >= kIsoDescriptor + 72 && head[kIsoDescriptor] == 1 &&
        std::memcmp(&head[kIsoDescriptor + 1], "CD001", 5) == 0)
        return FileSystemIdentity{"iso9660", label_field(head, kIsoDescriptor + 40, 32)};
    // FAT: boot signature 0x55AA at 510; FAT32 has "FAT32   " at 82 and its label at 71,
    // FAT12/16 have "FAT" at 54 and the label at 43.
    if (head.size() >= 512 && head[510] == 0x55 && head[511] == 0xAA) {
        if (std::memcmp(&head[82], "FAT32", 5) == 0)
            return FileSystemIdentity{"vfat", label_field(head, 71, 11)};
        if (std::memcmp(&head[54], "FAT", 3) == 0)
            return FileSystemIdentity{"vfat", label_field(head, 43, 11)};
    }
    return std::nullopt;
}

ErrorOr<std::optional<FileSystemIdentity>> identify_device(const std::string& device_path) {
    auto fd = TRY(sys::open(device_path, O_RDONLY | O_NONBLOCK));
    // An optical drive without a disc may still report a size (QEMU's q35 has one). Not an
    // optical drive: ENOTTY.
    if (int status = ::ioctl(fd.get(), CDROM_DRIVE_STATUS, CDSL_CURRENT);
        status == CDS_NO_DISC || status == CDS_TRAY_OPEN)
        return std::optional<FileSystemIdentity>();
    std::vector<uint8_t> head(kIdentifyBytes);
    size_t filled = 0;
    while (filled < head.size()) {
        ssize_t n = ::pread(fd.get(), head.data() + filled, head.size() - filled,
                            static_cast<off_t>(filled));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return Error::from_errno("pread", device_path, errno);
        }
        if (n == 0)
            break;
        filled += static_cast<size_t>(n);
    }
    head.resize(filled);
    return identify_file_system(head);
}

std::vector<std::string> list_block_devices(const std::string& sys_class_block) {
    std::vector<std::string> names;
    auto entries = fs::list_dir(sys_class_block);
    if (!entries)
        return names;
    for (auto& name : *entries) {
        if (name.starts_with("loop") || name.starts_with("ram"))
            continue;
        // An empty CD-ROM drive has size 0: reading it only fills the log with I/O errors.
        auto size = fs::read_file(sys_class_block + "/" + name + "/size", 64);
        if (!size || size->empty() || size->front() == '0')
            continue;
        names.push_back(std::move(name));
    }
    std::sort(names.begin(), names.end());
    return names;
}

bool wait_for_disk_drivers(int timeout_seconds, const std::string& marker) {
    // A 50 ms poll: the wait ends within a few polls, and the marker is gone on every later
    // run (an inotify watch would need its directory to exist first).
    for (long waited_ms = 0; ::access(marker.c_str(), F_OK) == 0; waited_ms += 50) {
        if (waited_ms >= timeout_seconds * 1000L)
            return false;
        timespec pause{0, 50'000'000};
        ::nanosleep(&pause, nullptr);
    }
    return true;
}

}  // namespace corral::block
