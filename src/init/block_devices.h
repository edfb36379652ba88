// Block devices without blkid: finding a device by label (base/block_label.h reads the
// superblocks), waiting for it, and whether a disk is still blank.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/block_label.h"
#include "base/error.h"

namespace corral::init {

// The label reader lives in base (cloud-init uses it too).
using block::FileSystemIdentity;
using block::identify_device;
using block::identify_file_system;
using block::kIdentifyBytes;
using block::list_block_devices;

// Finds the device that `spec` names: "LABEL=X" (any file system with that label), or a path.
// nullopt when it is not there (yet).
ErrorOr<std::optional<std::string>> find_device(const std::string& spec);

// find_device, waiting up to `wait_seconds` for the device to show up: rescans on each kernel
// uevent about a block device (a netlink socket), never sleeps. Stops early, after one more
// scan, when `stop_fd` becomes readable (the end of the module loading, say).
ErrorOr<std::optional<std::string>> wait_for_device(const std::string& spec, int wait_seconds,
                                                    int stop_fd = -1);

// Whether the first `bytes` of the device are all zero: a blank disk that autoformat may take.
ErrorOr<bool> device_is_zeroed(const std::string& device_path, size_t bytes = 1 << 20);

}  // namespace corral::init
