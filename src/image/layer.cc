#include "image/layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <deque>

#include "base/fs.h"
#include "base/sys.h"
#include "image/digest.h"

namespace corral::image {

namespace {

constexpr int max_symlink_follows = 40;
constexpr std::string_view whiteout_prefix = ".wh.";
constexpr std::string_view opaque_marker = ".wh..wh..opq";

struct ArchiveDeleter {
    void operator()(archive* handle) const { archive_read_free(handle); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveDeleter>;

Error entry_error(std::string_view entry, std::string_view reason) {
    return Error::invalid("layer entry `" + std::string(entry) + "`: " + std::string(reason));
}

Error archive_failure(archive* handle, std::string_view what) {
    const char* message = archive_error_string(handle);
    return Error::invalid(std::string(what) + ": " + (message ? message : "unreadable archive"));
}

// Walks `components` from `root_fd`, following symlinks lexically inside the tree, and returns
// the directory reached. Missing directories are created when `create`.
ErrorOr<UniqueFd> walk_directories(int root_fd, const std::vector<std::string>& components,
                                   size_t count, bool create, std::string_view entry) {
    std::vector<UniqueFd> stack;
    auto current = [&]() { return stack.empty() ? root_fd : stack.back().get(); };
    std::deque<std::string> pending(components.begin(), components.begin() + count);
    int follows = 0;
    std::string walked;
    while (!pending.empty()) {
        std::string component = std::move(pending.front());
        pending.pop_front();
        if (component.empty() || component == ".")
            continue;
        if (component == "..") {
            if (stack.empty())
                return entry_error(entry, "path leaves the layer through `..`");
            stack.pop_back();
            continue;
        }
        struct stat st {};
        if (::fstatat(current(), component.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno != ENOENT || !create)
                return entry_error(entry,
                                   "cannot reach `" + component + "`: " + std::strerror(errno));
            if (::mkdirat(current(), component.c_str(), 0755) < 0 && errno != EEXIST)
                return entry_error(entry, "mkdir `" + component + "`: " + std::strerror(errno));
            st.st_mode = S_IFDIR;
        }
        if (S_ISLNK(st.st_mode)) {
            if (++follows > max_symlink_follows)
                return entry_error(entry, "too many levels of symbolic links");
            char target[4096];
            ssize_t length = ::readlinkat(current(), component.c_str(), target, sizeof target);
            if (length < 0 || static_cast<size_t>(length) >= sizeof target)
                return entry_error(entry, "readlink `" + component + "` failed");
            std::string_view link(target, static_cast<size_t>(length));
            if (link.starts_with("/"))
                return entry_error(entry, "path goes through symlink `" + component +
                                              "` pointing outside the layer (`" +
                                              std::string(link) + "`)");
            std::vector<std::string> parts;
            size_t start = 0;
            while (start <= link.size()) {
                size_t slash = link.find('/', start);
                if (slash == std::string_view::npos)
                    slash = link.size();
                parts.emplace_back(link.substr(start, slash - start));
                start = slash + 1;
            }
            // ".." in a symlink target must not climb above the tree: count it against the
            // directories walked so far.
            int depth = static_cast<int>(stack.size());
            for (const auto& part : parts) {
                if (part == "..")
                    --depth;
                else if (!part.empty() && part != ".")
                    ++depth;
                if (depth < 0)
                    return entry_error(entry, "path goes through symlink `" + component +
                                                  "` pointing outside the layer (`" +
                                                  std::string(link) + "`)");
            }
            pending.insert(pending.begin(), parts.begin(), parts.end());
            continue;
        }
        if (!S_ISDIR(st.st_mode))
            return entry_error(entry, "`" + component + "` is not a directory");
        int fd =
            ::openat(current(), component.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return entry_error(entry, "open `" + component + "`: " + std::strerror(errno));
        stack.emplace_back(fd);
    }
    if (stack.empty()) {
        int fd = ::fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
        if (fd < 0)
            return Error::from_errno("dup", errno);
        return UniqueFd(fd);
    }
    return std::move(stack.back());
}

struct DeferredTimes {
    std::vector<std::string> components;
    timespec times[2];
};

class Unpacker {
  public:
    Unpacker(int root_fd, const UnpackOptions& options) : root_fd_(root_fd), options_(options) {}

    ErrorOr<void> entry(archive* reader, archive_entry* entry);
    ErrorOr<void> finish();
    int64_t size() const { return size_; }

  private:
    ErrorOr<void> write_file(archive* reader, archive_entry* entry, int parent_fd,
                             const std::string& name, const std::string& shown);
    ErrorOr<void> apply_metadata(archive_entry* entry, int parent_fd, const std::string& name,
                                 int fd, bool is_symlink);

    int root_fd_;
    const UnpackOptions& options_;
    std::vector<DeferredTimes> directory_times_;
    int64_t size_ = 0;
};

ErrorOr<void> Unpacker::write_file(archive* reader, archive_entry* entry, int parent_fd,
                                   const std::string& name, const std::string& shown) {
    int raw = ::openat(parent_fd, name.c_str(),
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (raw < 0)
        return entry_error(shown, std::string("create: ") + std::strerror(errno));
    UniqueFd fd(raw);
    const void* block = nullptr;
    size_t length = 0;
    la_int64_t offset = 0;
    for (;;) {
        int status = archive_read_data_block(reader, &block, &length, &offset);
        if (status == ARCHIVE_EOF)
            break;
        if (status < ARCHIVE_WARN)
            return archive_failure(reader, "layer entry `" + shown + "`");
        size_t done = 0;
        while (done < length) {
            ssize_t n = ::pwrite(fd.get(), static_cast<const char*>(block) + done, length - done,
                                 offset + static_cast<off_t>(done));
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                return entry_error(shown, std::string("write: ") + std::strerror(errno));
            }
            done += static_cast<size_t>(n);
        }
        size_ += static_cast<int64_t>(length);
    }
    if (archive_entry_size_is_set(entry) && ::ftruncate(fd.get(), archive_entry_size(entry)) < 0)
        return entry_error(shown, std::string("truncate: ") + std::strerror(errno));
    return apply_metadata(entry, parent_fd, name, fd.get(), false);
}

ErrorOr<void> Unpacker::apply_metadata(archive_entry* entry, int parent_fd, const std::string& name,
                                       int fd, bool is_symlink) {
    if (options_.preserve_ownership) {
        uid_t uid = static_cast<uid_t>(archive_entry_uid(entry));
        gid_t gid = static_cast<gid_t>(archive_entry_gid(entry));
        int status = fd >= 0 ? ::fchown(fd, uid, gid)
                             : ::fchownat(parent_fd, name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW);
        // Without CAP_CHOWN (or with unmapped ids) the files keep our owner.
        if (status < 0 && errno != EPERM && errno != EINVAL)
            return Error::from_errno("chown", name, errno);
        if (fd >= 0) {
            const char* key = nullptr;
            const void* value = nullptr;
            size_t size = 0;
            archive_entry_xattr_reset(entry);
            while (archive_entry_xattr_next(entry, &key, &value, &size) == ARCHIVE_OK) {
                // overlayfs's own attributes (opaque, redirect, metacopy) come only from our
                // whiteout conversion, never from a layer's say-so.
                if (std::string_view(key).starts_with("trusted.overlay."))
                    continue;
                // Best effort: the file system or our privileges may not allow every
                // namespace.
                (void)::fsetxattr(fd, key, value, size, 0);
            }
        }
    }
    if (!is_symlink) {
        mode_t mode = archive_entry_perm(entry) & 07777;
        int status = fd >= 0 ? ::fchmod(fd, mode) : ::fchmodat(parent_fd, name.c_str(), mode, 0);
        if (status < 0)
            return Error::from_errno("chmod", name, errno);
    }
    timespec times[2];
    times[0] = {
        archive_entry_atime_is_set(entry) ? archive_entry_atime(entry) : archive_entry_mtime(entry),
        archive_entry_atime_is_set(entry) ? archive_entry_atime_nsec(entry)
                                          : archive_entry_mtime_nsec(entry)};
    times[1] = {archive_entry_mtime(entry), archive_entry_mtime_nsec(entry)};
    if (fd >= 0)
        (void)::futimens(fd, times);
    else
        (void)::utimensat(parent_fd, name.c_str(), times, AT_SYMLINK_NOFOLLOW);
    return {};
}

ErrorOr<void> Unpacker::entry(archive* reader, archive_entry* entry) {
    const char* raw_path = archive_entry_pathname(entry);
    if (!raw_path)
        return Error::invalid("layer entry without a path");
    std::string shown = raw_path;
    if (shown.size() > options_.max_path_length)
        return entry_error(shown.substr(0, 200) + "...", "path too long");
    auto components = TRY(split_entry_path(shown));
    if (components.empty())
        return {};  // the root itself: its metadata belongs to the image's rootfs
    std::string name = components.back();
    mode_t type = archive_entry_filetype(entry);

    UniqueFd parent =
        TRY(walk_directories(root_fd_, components, components.size() - 1, true, shown));

    if (options_.whiteouts && name.starts_with(whiteout_prefix)) {
        if (name == opaque_marker) {
            if (::fsetxattr(parent.get(), "trusted.overlay.opaque", "y", 1, 0) < 0)
                return entry_error(
                    shown, std::string("set trusted.overlay.opaque: ") + std::strerror(errno));
            return {};
        }
        if (name.starts_with(std::string(whiteout_prefix) + std::string(whiteout_prefix)))
            return {};  // aufs bookkeeping (.wh..wh.plnk and the like)
        std::string hidden = name.substr(whiteout_prefix.size());
        if (hidden.empty() || hidden == "." || hidden == "..")
            return entry_error(shown, "invalid whiteout");
        TRY(fs::remove_tree_at(parent.get(), hidden));
        if (::mknodat(parent.get(), hidden.c_str(), S_IFCHR | 0, makedev(0, 0)) < 0)
            return entry_error(shown, std::string("create whiteout: ") + std::strerror(errno));
        return {};
    }

    // What the entry replaces: a directory stays when the entry is a directory too.
    struct stat existing {};
    bool exists = ::fstatat(parent.get(), name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0;
    bool keep_directory =
        exists && S_ISDIR(existing.st_mode) && type == AE_IFDIR && !archive_entry_hardlink(entry);
    if (exists && !keep_directory)
        TRY(fs::remove_tree_at(parent.get(), name));

    if (const char* link_target = archive_entry_hardlink(entry)) {
        std::string target_shown = link_target;
        auto target_components = TRY(split_entry_path(target_shown));
        if (target_components.empty())
            return entry_error(shown, "hard link to the layer root");
        UniqueFd target_parent = TRY(walk_directories(root_fd_, target_components,
                                                      target_components.size() - 1, false, shown));
        struct stat target_st {};
        if (::fstatat(target_parent.get(), target_components.back().c_str(), &target_st,
                      AT_SYMLINK_NOFOLLOW) < 0)
            return entry_error(shown,
                               "hard link target `" + target_shown + "` is not in the layer");
        if (S_ISDIR(target_st.st_mode))
            return entry_error(shown, "hard link to a directory");
        if (::linkat(target_parent.get(), target_components.back().c_str(), parent.get(),
                     name.c_str(), 0) < 0)
            return entry_error(shown, std::string("link: ") + std::strerror(errno));
        return {};
    }

    switch (type) {
        case AE_IFREG:
            return write_file(reader, entry, parent.get(), name, shown);
        case AE_IFDIR: {
            if (!keep_directory && ::mkdirat(parent.get(), name.c_str(), 0700) < 0)
                return entry_error(shown, std::string("mkdir: ") + std::strerror(errno));
            int raw = ::openat(parent.get(), name.c_str(),
                               O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (raw < 0)
                return entry_error(shown, std::string("open: ") + std::strerror(errno));
            UniqueFd fd(raw);
            TRY(apply_metadata(entry, parent.get(), name, fd.get(), false));
            DeferredTimes deferred{components, {}};
            deferred.times[0] = {archive_entry_atime(entry), archive_entry_atime_nsec(entry)};
            deferred.times[1] = {archive_entry_mtime(entry), archive_entry_mtime_nsec(entry)};
            if (!archive_entry_atime_is_set(entry))
                deferred.times[0] = deferred.times[1];
            directory_times_.push_back(std::move(deferred));
            return {};
        }
        case AE_IFLNK: {
            const char* target = archive_entry_symlink(entry);
            if (!target)
                return entry_error(shown, "symlink without a target");
            // The target is only data here: nothing of ours ever follows it outside the tree.
            if (::symlinkat(target, parent.get(), name.c_str()) < 0)
                return entry_error(shown, std::string("symlink: ") + std::strerror(errno));
            return apply_metadata(entry, parent.get(), name, -1, true);
        }
        case AE_IFIFO:
            if (::mknodat(parent.get(), name.c_str(), S_IFIFO | 0600, 0) < 0)
                return entry_error(shown, std::string("mkfifo: ") + std::strerror(errno));
            return apply_metadata(entry, parent.get(), name, -1, false);
        case AE_IFCHR:
        case AE_IFBLK: {
            dev_t device = archive_entry_rdev(entry);
            bool whiteout = type == AE_IFCHR && major(device) == 0 && minor(device) == 0;
            if (!whiteout && !options_.allow_device_nodes)
                return entry_error(shown, "device nodes are not allowed in this layer");
            if (::mknodat(parent.get(), name.c_str(), (type == AE_IFCHR ? S_IFCHR : S_IFBLK) | 0600,
                          device) < 0)
                return entry_error(shown, std::string("mknod: ") + std::strerror(errno));
            return apply_metadata(entry, parent.get(), name, -1, false);
        }
        default:
            return entry_error(shown, "unsupported entry type");
    }
}

ErrorOr<void> Unpacker::finish() {
    // Directory times last: creating their children changed them.
    for (const auto& deferred : directory_times_) {
        auto parent = walk_directories(root_fd_, deferred.components,
                                       deferred.components.size() - 1, false, "");
        if (!parent)
            continue;  // removed or replaced by a later entry
        (void)::utimensat(parent->get(), deferred.components.back().c_str(), deferred.times,
                          AT_SYMLINK_NOFOLLOW);
    }
    return {};
}

// The uncompressed tar bytes pass through here on their way from the outer (decompressing)
// reader to the tar reader, so the diff id is computed in the same pass.
struct HashingSource {
    archive* outer = nullptr;
    bool hash = true;
    Sha256 hasher;
    int64_t bytes = 0;
    char buffer[65536];
};

la_ssize_t read_uncompressed(archive*, void* context, const void** data) {
    auto* source = static_cast<HashingSource*>(context);
    la_ssize_t n = archive_read_data(source->outer, source->buffer, sizeof source->buffer);
    if (n > 0) {
        if (source->hash)
            source->hasher.update(source->buffer, static_cast<size_t>(n));
        source->bytes += n;
    }
    *data = source->buffer;
    return n;
}

}  // namespace

ErrorOr<std::vector<std::string>> split_entry_path(std::string_view path) {
    // A layer's paths are relative to its root; an absolute one is a malformed or hostile
    // layer, refused rather than guessed at.
    if (path.starts_with("/"))
        return entry_error(path, "absolute path (layer entries must be relative)");
    std::vector<std::string> components;
    size_t start = 0;
    while (start <= path.size()) {
        size_t slash = path.find('/', start);
        if (slash == std::string_view::npos)
            slash = path.size();
        std::string_view component = path.substr(start, slash - start);
        if (component == "..")
            return entry_error(path, "path contains `..`");
        if (!component.empty() && component != ".")
            components.emplace_back(component);
        start = slash + 1;
    }
    return components;
}

ErrorOr<UnpackResult> unpack_layer(int fd, const std::string& target,
                                   const UnpackOptions& options) {
    UniqueFd root = TRY(sys::open(target, O_RDONLY | O_DIRECTORY));

    ArchivePtr outer(archive_read_new());
    archive_read_support_filter_all(outer.get());
    archive_read_support_format_raw(outer.get());
    archive_read_support_format_empty(outer.get());
    if (archive_read_open_fd(outer.get(), fd, 65536) != ARCHIVE_OK)
        return archive_failure(outer.get(), "layer");
    archive_entry* outer_entry = nullptr;
    int outer_status = archive_read_next_header(outer.get(), &outer_entry);
    HashingSource source;
    source.outer = outer.get();
    source.hash = options.compute_diff_id;
    UnpackResult result;
    if (outer_status == ARCHIVE_EOF) {
        // A zero-byte layer: no entries.
        result.diff_id = source.hasher.digest();
        return result;
    }
    if (outer_status < ARCHIVE_WARN)
        return archive_failure(outer.get(), "layer");

    ArchivePtr reader(archive_read_new());
    archive_read_support_format_tar(reader.get());
    archive_read_support_format_empty(reader.get());
    if (archive_read_open(reader.get(), &source, nullptr, read_uncompressed, nullptr) != ARCHIVE_OK)
        return archive_failure(reader.get(), "layer");

    Unpacker unpacker(root.get(), options);
    for (;;) {
        archive_entry* entry = nullptr;
        int status = archive_read_next_header(reader.get(), &entry);
        if (status == ARCHIVE_EOF)
            break;
        if (status < ARCHIVE_WARN)
            return archive_failure(reader.get(), "layer");
        if (++result.entries > options.max_entries)
            return Error(ErrorKind::too_large,
                         "layer has more than " + std::to_string(options.max_entries) + " entries");
        TRY(unpacker.entry(reader.get(), entry));
    }
    TRY(unpacker.finish());
    // The tar end may be followed by padding: hash the whole stream.
    char drain[65536];
    for (;;) {
        la_ssize_t n = archive_read_data(outer.get(), drain, sizeof drain);
        if (n < 0)
            return archive_failure(outer.get(), "layer");
        if (n == 0)
            break;
        if (source.hash)
            source.hasher.update(drain, static_cast<size_t>(n));
        source.bytes += n;
    }
    result.tar_size = source.bytes;
    if (source.hash)
        result.diff_id = source.hasher.digest();
    result.size = unpacker.size();
    return result;
}

ErrorOr<UniqueFd> open_in_tree(const std::string& root, std::string_view path) {
    UniqueFd root_fd = TRY(sys::open(root, O_RDONLY | O_DIRECTORY));
    std::vector<std::string> components;
    {
        size_t start = 0;
        while (start <= path.size()) {
            size_t slash = path.find('/', start);
            if (slash == std::string_view::npos)
                slash = path.size();
            std::string_view component = path.substr(start, slash - start);
            if (!component.empty() && component != ".")
                components.emplace_back(component);
            start = slash + 1;
        }
    }
    if (components.empty())
        return Error::invalid("`" + std::string(path) + "` is not a file");
    // Resolve the whole path as directories but the last; a final symlink is followed
    // the same way by treating it as a one-step walk.
    std::vector<std::string> current = components;
    for (int follows = 0; follows < max_symlink_follows; ++follows) {
        UniqueFd parent =
            TRY(walk_directories(root_fd.get(), current, current.size() - 1, false, path));
        const std::string& name = current.back();
        if (name == "..")
            return Error::invalid("`" + std::string(path) + "` leaves the archive");
        int fd = ::openat(parent.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0)
            return UniqueFd(fd);
        if (errno != ELOOP)
            return Error::from_errno("open", path, errno);
        char target[4096];
        ssize_t length = ::readlinkat(parent.get(), name.c_str(), target, sizeof target);
        if (length < 0 || static_cast<size_t>(length) >= sizeof target)
            return Error::from_errno("readlink", path, errno);
        std::string_view link(target, static_cast<size_t>(length));
        if (link.starts_with("/"))
            return Error::invalid("`" + std::string(path) + "` is a symlink leaving the archive");
        current.pop_back();
        size_t start = 0;
        while (start <= link.size()) {
            size_t slash = link.find('/', start);
            if (slash == std::string_view::npos)
                slash = link.size();
            std::string part(link.substr(start, slash - start));
            if (part == "..") {
                if (current.empty())
                    return Error::invalid("`" + std::string(path) +
                                          "` is a symlink leaving the archive");
                current.pop_back();
            } else if (!part.empty() && part != ".") {
                current.push_back(part);
            }
            start = slash + 1;
        }
        if (current.empty())
            return Error::invalid("`" + std::string(path) + "` is not a file");
    }
    return Error::invalid("`" + std::string(path) + "`: too many levels of symbolic links");
}

}  // namespace corral::image
