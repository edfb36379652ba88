// Block devices without blkid: file-system labels read from superblocks, the devices the
// kernel knows, and whether a disk is still blank.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/error.h"

namespace corral::init {

struct FileSystemIdentity {
    std::string type;  // "ext4" (ext2/3/4 share the superblock), "iso9660", "vfat"
    std::string label;
};

// Reads the identity from the first 64 KiB of a device (enough for ext*, iso9660 and FAT):
// nullopt when no known signature is there.
std::optional<FileSystemIdentity> identify_file_system(std::span<const uint8_t> head);

// The number of bytes identify_file_system wants.
constexpr size_t kIdentifyBytes = 64 * 1024;

// Names of the block devices in /sys/class/block ("vda", "vda1", "sr0"), sorted; loop and ram
// devices are left out.
std::vector<std::string> list_block_devices(
    const std::string& sys_class_block = "/sys/class/block");

// Reads the identity of /dev/<name> (or a device path).
ErrorOr<std::optional<FileSystemIdentity>> identify_device(const std::string& device_path);

// Finds the device that `spec` names: "LABEL=X" (any file system with that label), or a path.
// nullopt when it is not there (yet).
ErrorOr<std::optional<std::string>> find_device(const std::string& spec);

// find_device, waiting up to `wait_seconds` for the device to show up: rescans on each kernel
// uevent (a netlink socket), never sleeps.
ErrorOr<std::optional<std::string>> wait_for_device(const std::string& spec, int wait_seconds);

// Whether the first `bytes` of the device are all zero: a blank disk that autoformat may take.
ErrorOr<bool> device_is_zeroed(const std::string& device_path, size_t bytes = 1 << 20);

}  // namespace corral::init
