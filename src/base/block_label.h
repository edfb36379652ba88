// File-system labels of block devices, read from their superblocks without blkid: how init
// finds the state disk and the boot medium, and how cloud-init finds its datasource disks.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace corral::block {

struct FileSystemIdentity {
    std::string type;  // "ext4" (ext2/3/4 share the superblock), "iso9660", "vfat"
    std::string label;
};

// Present while init still loads the drivers of disks other than the state disk (and of the
// CD-ROM): a program that looks for a disk by label waits until it is gone.
inline constexpr std::string_view kDiskDriversLoading = "/run/corral/disk-drivers-loading";

// Waits until the marker (kDiskDriversLoading) is gone (at once when it is not there), up to
// `timeout_seconds`. false: still there when the time was up.
bool wait_for_disk_drivers(int timeout_seconds,
                           const std::string& marker = std::string(kDiskDriversLoading));

// The number of bytes identify_file_system wants: enough for ext*, iso9660 and FAT.
constexpr size_t kIdentifyBytes = 64 * 1024;

// The identity in the first kIdentifyBytes of a device: nullopt when no known signature is
// there.
std::optional<FileSystemIdentity> identify_file_system(std::span<const uint8_t> head);

// Reads the identity of a device (or an image file). An optical drive without a disc is
// nullopt without being read: reading it fails only after the kernel's retries, each logged on
// the console (slow on a serial console under TCG).
ErrorOr<std::optional<FileSystemIdentity>> identify_device(const std::string& device_path);

// Names of the block devices in `sys_class_block` ("vda", "vda1", "sr0") that may hold a file
// system, sorted: loop and ram devices and those of size 0 (an empty CD-ROM drive) are left out.
std::vector<std::string> list_block_devices(
    const std::string& sys_class_block = "/sys/class/block");

}  // namespace corral::block
