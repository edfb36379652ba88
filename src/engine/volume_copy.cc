#include "engine/volume_copy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <map>
#include <optional>

#include "base/fs.h"
#include "base/sys.h"

namespace corral::engine {

namespace {

ErrorOr<std::optional<struct stat>> lstat_if_exists(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0)
        return std::optional<struct stat>(st);
    if (errno == ENOENT || errno == ENOTDIR)
        return std::optional<struct stat>();
    return Error::from_errno("lstat", path, errno);
}

bool is_whiteout(const struct stat& st) {
    return S_ISCHR(st.st_mode) && major(st.st_rdev) == 0 && minor(st.st_rdev) == 0;
}

bool is_opaque(const std::string& dir) {
    char value[2] = {};
    ssize_t size = ::lgetxattr(dir.c_str(), "trusted.overlay.opaque", value, sizeof value);
    return size == 1 && value[0] == 'y';
}

ErrorOr<void> copy_file(const std::string& source, const std::string& destination,
                        const struct stat& st) {
    UniqueFd in = TRY(sys::open(source, O_RDONLY | O_NOFOLLOW));
    UniqueFd out =
        TRY(sys::open(destination, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, st.st_mode & 07777));
    char buffer[65536];
    for (;;) {
        ssize_t n = ::read(in.get(), buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return Error::from_errno("read", source, errno);
        }
        if (n == 0)
            break;
        ssize_t done = 0;
        while (done < n) {
            ssize_t written = ::write(out.get(), buffer + done, static_cast<size_t>(n - done));
            if (written < 0) {
                if (errno == EINTR)
                    continue;
                return Error::from_errno("write", destination, errno);
            }
            done += written;
        }
    }
    (void)::fchown(out.get(), st.st_uid, st.st_gid);
    if (::fchmod(out.get(), st.st_mode & 07777) < 0)
        return Error::from_errno("chmod", destination, errno);
    return {};
}

// Copies the merged directory `relative` of `layers` (topmost first, each a layer root) into
// `target`, which exists.
ErrorOr<void> copy_merged(const std::vector<std::string>& layers, const std::string& relative,
                          const std::string& target, int depth) {
    if (depth > 256)
        return Error::invalid("image directory nested too deep: " + relative);
    // The entry of each name from the topmost layer that has it, with the layers below it that
    // a directory merges with.
    struct Found {
        std::string layer;  // the root of the layer the entry comes from
        std::string path;
        struct stat st {};
        std::vector<std::string> below;  // for directories: the layers it merges with
    };
    std::map<std::string, Found> entries;
    std::vector<std::string> visible;  // names claimed by a layer above (kept or whited out)
    for (size_t i = 0; i < layers.size(); ++i) {
        std::string dir = fs::join(layers[i], relative);
        auto st = TRY(lstat_if_exists(dir));
        if (!st)
            continue;
        if (!S_ISDIR(st->st_mode))
            break;  // a file or a whiteout here hides the lower layers' directory
        for (const auto& name : TRY(fs::list_dir(dir))) {
            if (entries.contains(name))
                continue;
            Found found;
            found.layer = layers[i];
            found.path = fs::join(dir, name);
            found.st = TRY(sys::lstat(found.path));
            if (S_ISDIR(found.st.st_mode) && !is_opaque(found.path))
                found.below.assign(layers.begin() + static_cast<long>(i) + 1, layers.end());
            entries.emplace(name, std::move(found));
        }
        if (is_opaque(dir))
            break;
    }
    for (const auto& [name, found] : entries) {
        const struct stat& st = found.st;
        if (is_whiteout(st))
            continue;
        std::string destination = fs::join(target, name);
        if (S_ISDIR(st.st_mode)) {
            TRY(sys::mkdir(destination, st.st_mode & 07777, false));
            (void)::lchown(destination.c_str(), st.st_uid, st.st_gid);
            (void)::chmod(destination.c_str(), st.st_mode & 07777);
            // The directory from its own layer, then the same path in the layers below.
            std::vector<std::string> roots = {found.layer};
            roots.insert(roots.end(), found.below.begin(), found.below.end());
            std::string child = fs::join(relative, name);
            TRY(copy_merged(roots, child, destination, depth + 1));
        } else if (S_ISREG(st.st_mode)) {
            TRY(copy_file(found.path, destination, st));
        } else if (S_ISLNK(st.st_mode)) {
            std::string link = TRY(sys::readlink(found.path));
            TRY(sys::symlink(link, destination));
            (void)::lchown(destination.c_str(), st.st_uid, st.st_gid);
        } else if (S_ISFIFO(st.st_mode)) {
            if (::mkfifo(destination.c_str(), st.st_mode & 07777) < 0)
                return Error::from_errno("mkfifo", destination, errno);
        }
        // Device nodes and sockets stay out of volumes.
    }
    return {};
}

}  // namespace

ErrorOr<void> copy_image_path(const std::vector<std::string>& layer_dirs, const std::string& path,
                              const std::string& target) {
    if (!TRY(fs::list_dir(target)).empty())
        return {};
    std::string relative;
    for (char c : path)
        if (!(relative.empty() && c == '/'))
            relative += c;
    while (!relative.empty() && relative.back() == '/')
        relative.pop_back();
    if (relative.empty())
        return {};  // a volume over the root: nothing sensible to copy
    std::vector<std::string> layers(layer_dirs.rbegin(), layer_dirs.rend());
    // Every component of the path must be a plain directory in the image: walk down, keeping
    // the layers that still contribute.
    std::string walked;
    size_t start = 0;
    while (start < relative.size()) {
        size_t slash = relative.find('/', start);
        if (slash == std::string::npos)
            slash = relative.size();
        walked = relative.substr(0, slash);
        std::vector<std::string> contributing;
        for (const auto& layer : layers) {
            std::string dir = fs::join(layer, walked);
            auto st = TRY(lstat_if_exists(dir));
            if (!st)
                continue;
            if (!S_ISDIR(st->st_mode))
                break;  // a file, symlink or whiteout: hides everything below
            contributing.push_back(layer);
            if (is_opaque(dir))
                break;
        }
        if (contributing.empty())
            return {};
        // The topmost entry decides: if it is not a directory, nothing is copied.
        for (const auto& layer : layers) {
            auto st = TRY(lstat_if_exists(fs::join(layer, walked)));
            if (!st)
                continue;
            if (!S_ISDIR(st->st_mode))
                return {};
            break;
        }
        layers = std::move(contributing);
        start = slash + 1;
    }
    return copy_merged(layers, relative, target, 0);
}

}  // namespace corral::engine
