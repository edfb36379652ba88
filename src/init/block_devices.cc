#include "init/block_devices.h"

#include <fcntl.h>
#include <linux/cdrom.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "base/fs.h"
#include "base/sys.h"

namespace corral::init {

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

// A socket that reads the kernel's device events, so waiting for a disk wakes when one shows
// up. Failure to open it only makes the wait a single scan.
UniqueFd open_uevent_socket() {
    int fd =
        ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT);
    if (fd < 0)
        return {};
    sockaddr_nl address{};
    address.nl_family = AF_NETLINK;
    address.nl_groups = 1;  // kernel events
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) < 0) {
        ::close(fd);
        return {};
    }
    return UniqueFd(fd);
}

void drain(int fd) {
    char buffer[8192];
    while (::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT) > 0) {
    }
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

std::vector<std::string> list_block_devices(const std::string& sys_class_block) {
    std::vector<std::string> names;
    auto entries = fs::list_dir(sys_class_block);
    if (!entries)
        return names;
    for (auto& name : *entries) {
        if (name.starts_with("loop") || name.starts_with("ram"))
            continue;
        names.push_back(std::move(name));
    }
    return names;
}

ErrorOr<std::optional<FileSystemIdentity>> identify_device(const std::string& device_path) {
    auto fd = TRY(sys::open(device_path, O_RDONLY | O_NONBLOCK));
    // An optical drive without a disc reports a size (QEMU's q35 has one): reading it fails
    // after the kernel's retries, each logged on the console. Not an optical drive: ENOTTY.
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

ErrorOr<std::optional<std::string>> find_device(const std::string& spec) {
    if (spec.starts_with("LABEL=")) {
        std::string wanted = spec.substr(6);
        for (const auto& name : list_block_devices()) {
            // An empty CD-ROM drive has size 0: reading it only fills the log with I/O errors.
            auto size = fs::read_file("/sys/class/block/" + name + "/size");
            if (size && (size->empty() || size->front() == '0'))
                continue;
            std::string path = "/dev/" + name;
            auto identity = identify_device(path);
            // An empty CD-ROM drive or a vanished device is just not the one.
            if (identity && *identity && (*identity)->label == wanted)
                return std::optional<std::string>(path);
        }
        return std::optional<std::string>();
    }
    if (TRY(sys::stat_if_exists(spec)))
        return std::optional<std::string>(spec);
    return std::optional<std::string>();
}

ErrorOr<bool> device_is_zeroed(const std::string& device_path, size_t bytes) {
    auto fd = TRY(sys::open(device_path, O_RDONLY));
    std::vector<char> buffer(64 * 1024);
    size_t checked = 0;
    while (checked < bytes) {
        size_t want = std::min(buffer.size(), bytes - checked);
        size_t n = TRY(sys::read(fd.get(), std::span(buffer.data(), want)));
        if (n == 0)
            break;
        if (std::any_of(buffer.begin(), buffer.begin() + static_cast<long>(n),
                        [](char c) { return c != 0; }))
            return false;
        checked += n;
    }
    return checked > 0;
}

ErrorOr<std::optional<std::string>> wait_for_device(const std::string& spec, int wait_seconds) {
    UniqueFd events = open_uevent_socket();
    int64_t deadline = sys::monotonic_ns() + int64_t(wait_seconds) * 1'000'000'000;
    for (;;) {
        if (auto found = TRY(find_device(spec)))
            return found;
        int64_t left_ms = (deadline - sys::monotonic_ns()) / 1'000'000;
        if (left_ms <= 0 || !events)
            return std::optional<std::string>();
        pollfd poll_fd{events.get(), POLLIN, 0};
        int ready = ::poll(&poll_fd, 1, static_cast<int>(left_ms));
        if (ready > 0)
            drain(events.get());
    }
}

}  // namespace corral::init
