// `docker load`: docker-archive (manifest.json) and OCI image layout (index.json) tars.
// The outer tar is unpacked, with the same in-tree path rules as layers, into a temp dir
// under the store; its layers are then verified, unpacked and registered. An image becomes
// visible only after all its layers are in place.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "base/fs.h"
#include "base/sys.h"
#include "image/digest.h"
#include "image/formats.h"
#include "image/layer.h"
#include "image/store.h"
#include "image/store_state.h"

namespace corral::image {

namespace {

ErrorOr<std::string> read_in_tree(const std::string& root, std::string_view path, size_t limit) {
    UniqueFd fd = TRY_CONTEXT(open_in_tree(root, path), "load: " + std::string(path));
    std::string content;
    char buffer[65536];
    for (;;) {
        size_t n = TRY(sys::read(fd.get(), buffer));
        if (n == 0)
            break;
        if (content.size() + n > limit)
            return Error(ErrorKind::too_large, "load: " + std::string(path) + " larger than " +
                                                   std::to_string(limit) + " bytes");
        content.append(buffer, n);
    }
    return content;
}

// Gives the opened file a name of its own under `dest` (a hard link when the file system
// allows, a copy otherwise), so the store can move it into blobs/.
ErrorOr<void> materialize(int fd, const std::string& dest) {
    std::string proc = "/proc/self/fd/" + std::to_string(fd);
    if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, dest.c_str(), AT_SYMLINK_FOLLOW) == 0)
        return {};
    UniqueFd out = TRY(sys::open(dest, O_WRONLY | O_CREAT | O_EXCL, 0600));
    if (::lseek(fd, 0, SEEK_SET) < 0)
        return Error::from_errno("lseek", dest, errno);
    char buffer[65536];
    for (;;) {
        size_t n = TRY(sys::read(fd, buffer));
        if (n == 0)
            break;
        TRY(sys::write_all(out.get(), std::string_view(buffer, n)));
    }
    return {};
}

std::string sniff_layer_media_type(int fd) {
    unsigned char magic[4] = {};
    ssize_t n = ::pread(fd, magic, sizeof magic, 0);
    std::string type(media_type::oci_layer);
    if (n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b)
        return type + "+gzip";
    if (n >= 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
        return type + "+zstd";
    return type;
}

std::string blob_in_layout(const std::string& digest) {
    return "blobs/sha256/" + digest.substr(7);
}

// A blob of the OCI layout, checked against its descriptor.
ErrorOr<std::string> read_verified_blob(const std::string& root, const Descriptor& descriptor,
                                        size_t limit) {
    if (descriptor.size > static_cast<int64_t>(limit))
        return Error(ErrorKind::too_large, "load: blob " + descriptor.digest + " larger than " +
                                               std::to_string(limit) + " bytes");
    std::string content = TRY(read_in_tree(root, blob_in_layout(descriptor.digest), limit));
    if (sha256_digest(content) != descriptor.digest)
        return Error::invalid("load: blob " + descriptor.digest + " does not match its digest");
    if (descriptor.size && static_cast<int64_t>(content.size()) != descriptor.size)
        return Error::invalid("load: blob " + descriptor.digest + " has the wrong size");
    return content;
}

struct PendingImage {
    std::string config_json;
    std::vector<Reference> references;
};

}  // namespace

ErrorOr<std::vector<LoadedImage>> Store::load(int fd, const ProgressSink& progress,
                                              const LoadOptions& options) {
    State& state = *state_;
    fs::TempDir work = TRY(fs::TempDir::create(state.temp_root(), "load"));
    std::string tree = work.path() + "/archive";
    TRY(sys::mkdir(tree, 0700));
    UnpackOptions outer;
    outer.whiteouts = false;
    outer.preserve_ownership = false;
    outer.max_entries = 100000;
    TRY_CONTEXT(unpack_layer(fd, tree, outer), "load: reading the archive");

    LayerPins pins(state);
    std::vector<LoadedImage> loaded;
    std::atomic<int> blob_counter = 0;
    // Layers may be added from two threads at once: progress lines one at a time.
    std::mutex progress_mutex;
    auto report = [&](ProgressRecord record) {
        if (!progress)
            return;
        std::lock_guard lock(progress_mutex);
        progress(record);
    };
    auto add_layer = [&](int layer_fd, std::string_view digest, std::string media,
                         const std::string& diff_id) -> ErrorOr<void> {
        std::string shown = short_id(diff_id);
        struct stat st {};
        ::fstat(layer_fd, &st);
        report({shown, "Loading layer", 0, st.st_size, ""});
        std::string file = work.path() + "/blob-" + std::to_string(++blob_counter);
        if (media.empty())
            media = sniff_layer_media_type(layer_fd);
        TRY(materialize(layer_fd, file));
        TRY(state.ingest_layer(file, digest, media, diff_id, {}, options.trusted));
        report({shown, "Loading layer", st.st_size, st.st_size, ""});
        return {};
    };
    auto finish = [&](const PendingImage& image) -> ErrorOr<void> {
        std::string id = TRY(state.register_image(image.config_json, image.references));
        LoadedImage result{id, {}};
        for (const auto& reference : image.references)
            result.references.push_back(reference.familiar());
        loaded.push_back(std::move(result));
        return {};
    };

    if (open_in_tree(tree, "manifest.json")) {
        std::string text = TRY(read_in_tree(tree, "manifest.json", max_manifest_size));
        auto entries = TRY(parse_archive_manifest(text));
        std::vector<PendingImage> images;
        // The layers the store lacks, each once (images of one archive share layers).
        struct MissingLayer {
            std::string path;
            std::string diff_id;
            off_t size = 0;
        };
        std::vector<MissingLayer> missing;
        for (const auto& entry : entries) {
            PendingImage image;
            image.config_json = TRY(read_in_tree(tree, entry.config, max_config_size));
            ImageConfig config =
                TRY_CONTEXT(parse_image_config(image.config_json), "load: " + entry.config);
            if (config.diff_ids.size() != entry.layers.size())
                return Error::invalid(
                    "load: " + entry.config + " has " + std::to_string(config.diff_ids.size()) +
                    " layers but manifest.json lists " + std::to_string(entry.layers.size()));
            for (const auto& tag : entry.repo_tags)
                image.references.push_back(
                    TRY_CONTEXT(Reference::parse(tag), "load: RepoTags `" + tag + "`"));
            for (size_t i = 0; i < entry.layers.size(); ++i) {
                const std::string& diff_id = config.diff_ids[i];
                pins.pin(diff_id);
                if (state.has_layer(diff_id) ||
                    std::any_of(missing.begin(), missing.end(), [&](const MissingLayer& layer) {
                        return layer.diff_id == diff_id;
                    }))
                    continue;
                UniqueFd layer_fd = TRY_CONTEXT(open_in_tree(tree, entry.layers[i]),
                                                "load: layer " + entry.layers[i]);
                struct stat st {};
                ::fstat(layer_fd.get(), &st);
                missing.push_back({entry.layers[i], diff_id, st.st_size});
            }
            images.push_back(std::move(image));
        }
        // Decompressing, hashing and writing a layer is CPU-bound under emulation and waits
        // on the disk otherwise: two layers at a time, the largest first.
        std::sort(missing.begin(), missing.end(),
                  [](const MissingLayer& a, const MissingLayer& b) { return a.size > b.size; });
        std::atomic<size_t> next = 0;
        std::mutex failure_mutex;
        std::optional<Error> failure;
        auto worker = [&] {
            for (size_t index = next++; index < missing.size(); index = next++) {
                {
                    std::lock_guard lock(failure_mutex);
                    if (failure)
                        return;
                }
                const MissingLayer& layer = missing[index];
                auto added = [&]() -> ErrorOr<void> {
                    UniqueFd layer_fd =
                        TRY_CONTEXT(open_in_tree(tree, layer.path), "load: layer " + layer.path);
                    return add_layer(layer_fd.get(), {}, {}, layer.diff_id);
                }();
                if (!added) {
                    std::lock_guard lock(failure_mutex);
                    if (!failure)
                        failure = added.release_error();
                    return;
                }
            }
        };
        std::thread second;
        if (missing.size() > 1)
            second = std::thread(worker);
        worker();
        if (second.joinable())
            second.join();
        if (failure)
            return std::move(*failure);
        for (const auto& image : images)
            TRY(finish(image));
        return loaded;
    }

    if (!open_in_tree(tree, "index.json"))
        return Error::invalid(
            "load: not an image archive: neither manifest.json (docker save) nor index.json "
            "(OCI image layout) found");
    std::string text = TRY(read_in_tree(tree, "index.json", max_manifest_size));
    ManifestIndex index = TRY_CONTEXT(parse_manifest_index(text), "load: index.json");
    Platform platform{state.options.platform_os, state.options.platform_architecture, {}};
    for (const auto& top : index.manifests) {
        Descriptor descriptor = top;
        std::string manifest_json = TRY(read_verified_blob(tree, descriptor, max_manifest_size));
        if (TRY(is_manifest_index(manifest_json, descriptor.media_type))) {
            ManifestIndex nested = TRY(parse_manifest_index(manifest_json));
            if (nested.manifests.size() == 1)
                descriptor = nested.manifests.front();
            else
                descriptor = TRY_CONTEXT(select_platform(nested, platform), "load");
            manifest_json = TRY(read_verified_blob(tree, descriptor, max_manifest_size));
        }
        Manifest manifest = TRY_CONTEXT(parse_manifest(manifest_json), "load: manifest");
        PendingImage image;
        image.config_json = TRY(read_verified_blob(tree, manifest.config, max_config_size));
        ImageConfig config = TRY_CONTEXT(parse_image_config(image.config_json), "load: config");
        if (config.diff_ids.size() != manifest.layers.size())
            return Error::invalid("load: manifest " + descriptor.digest + " lists " +
                                  std::to_string(manifest.layers.size()) +
                                  " layers but its config has " +
                                  std::to_string(config.diff_ids.size()));
        // The image's name: containerd's annotation, or a full reference in ref.name (a bare
        // tag there names no repository).
        std::string name;
        auto annotation = top.annotations.find("io.containerd.image.name");
        if (annotation != top.annotations.end()) {
            name = annotation->second;
        } else if (auto ref_name = top.annotations.find("org.opencontainers.image.ref.name");
                   ref_name != top.annotations.end() &&
                   ref_name->second.find_first_of("/:") != std::string::npos) {
            name = ref_name->second;
        }
        if (!name.empty()) {
            Reference reference = TRY_CONTEXT(Reference::parse(name), "load: image name");
            if (reference.tag.empty())
                reference.digest.clear();  // a digest is the registry's, not ours to invent
            if (!reference.tag.empty())
                image.references.push_back(reference);
        }
        for (size_t i = 0; i < manifest.layers.size(); ++i) {
            const Descriptor& layer = manifest.layers[i];
            const std::string& diff_id = config.diff_ids[i];
            pins.pin(diff_id);
            if (state.has_layer(diff_id))
                continue;
            UniqueFd layer_fd = TRY_CONTEXT(open_in_tree(tree, blob_in_layout(layer.digest)),
                                            "load: layer " + layer.digest);
            std::string digest = TRY(sha256_fd(layer_fd.get()));
            if (digest != layer.digest)
                return Error::invalid("load: layer blob " + layer.digest +
                                      " does not match its digest (got " + digest + ")");
            TRY(add_layer(layer_fd.get(), digest, layer.media_type, diff_id));
        }
        TRY(finish(image));
    }
    return loaded;
}

}  // namespace corral::image
