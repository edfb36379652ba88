// `docker save`: one tar that is both a docker-archive (manifest.json, repositories) and an
// OCI image layout (oci-layout, index.json, blobs/sha256/), with uncompressed layers whose
// digests are the images' diff ids.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "base/fs.h"
#include "base/sys.h"
#include "image/digest.h"
#include "image/formats.h"
#include "image/store.h"
#include "image/store_state.h"

namespace corral::image {

namespace {

using Json = nlohmann::json;

struct WriterDeleter {
    void operator()(archive* handle) const { archive_write_free(handle); }
};
struct ReaderDeleter {
    void operator()(archive* handle) const { archive_read_free(handle); }
};

Error write_failure(archive* writer) {
    const char* message = archive_error_string(writer);
    return Error::internal(std::string("save: ") + (message ? message : "write failed"));
}

class ArchiveWriter {
  public:
    static ErrorOr<ArchiveWriter> open(int fd) {
        std::unique_ptr<archive, WriterDeleter> writer(archive_write_new());
        archive_write_set_format_pax_restricted(writer.get());
        if (archive_write_open_fd(writer.get(), fd) != ARCHIVE_OK)
            return write_failure(writer.get());
        return ArchiveWriter(std::move(writer));
    }

    ErrorOr<void> directory(const std::string& path) {
        archive_entry* entry = header(path, AE_IFDIR, 0755, 0);
        int status = archive_write_header(writer_.get(), entry);
        archive_entry_free(entry);
        if (status != ARCHIVE_OK)
            return write_failure(writer_.get());
        return {};
    }
    ErrorOr<void> file(const std::string& path, std::string_view content) {
        TRY(begin_file(path, static_cast<int64_t>(content.size())));
        return data(content);
    }
    ErrorOr<void> begin_file(const std::string& path, int64_t size) {
        archive_entry* entry = header(path, AE_IFREG, 0644, size);
        int status = archive_write_header(writer_.get(), entry);
        archive_entry_free(entry);
        if (status != ARCHIVE_OK)
            return write_failure(writer_.get());
        return {};
    }
    ErrorOr<void> data(std::string_view bytes) {
        if (bytes.empty())
            return {};
        if (archive_write_data(writer_.get(), bytes.data(), bytes.size()) !=
            static_cast<la_ssize_t>(bytes.size()))
            return write_failure(writer_.get());
        return {};
    }
    ErrorOr<void> close() {
        if (archive_write_close(writer_.get()) != ARCHIVE_OK)
            return write_failure(writer_.get());
        return {};
    }

  private:
    explicit ArchiveWriter(std::unique_ptr<archive, WriterDeleter> writer)
        : writer_(std::move(writer)) {}
    static archive_entry* header(const std::string& path, mode_t type, mode_t mode, int64_t size) {
        archive_entry* entry = archive_entry_new();
        archive_entry_set_pathname(entry, path.c_str());
        archive_entry_set_filetype(entry, type);
        archive_entry_set_perm(entry, mode);
        archive_entry_set_size(entry, size);
        archive_entry_set_mtime(entry, 0, 0);
        return entry;
    }
    std::unique_ptr<archive, WriterDeleter> writer_;
};

// Streams the layer's uncompressed tar into the archive, checking it against the diff id.
ErrorOr<void> write_layer(ArchiveWriter& writer, const std::string& blob_path,
                          const LayerRecord& layer) {
    UniqueFd fd = TRY(sys::open(blob_path, O_RDONLY));
    std::unique_ptr<archive, ReaderDeleter> reader(archive_read_new());
    archive_read_support_filter_all(reader.get());
    archive_read_support_format_raw(reader.get());
    archive_read_support_format_empty(reader.get());
    TRY(writer.begin_file("blobs/sha256/" + layer.diff_id.substr(7), layer.tar_size));
    Sha256 hasher;
    int64_t written = 0;
    archive_entry* entry = nullptr;
    if (archive_read_open_fd(reader.get(), fd.get(), 65536) != ARCHIVE_OK)
        return Error::internal("save: layer blob " + layer.blob + " unreadable");
    int status = archive_read_next_header(reader.get(), &entry);
    if (status == ARCHIVE_OK || status == ARCHIVE_WARN) {
        char buffer[65536];
        for (;;) {
            la_ssize_t n = archive_read_data(reader.get(), buffer, sizeof buffer);
            if (n < 0)
                return Error::internal("save: layer blob " + layer.blob + ": " +
                                       (archive_error_string(reader.get())
                                            ? archive_error_string(reader.get())
                                            : "read failed"));
            if (n == 0)
                break;
            hasher.update(buffer, static_cast<size_t>(n));
            written += n;
            if (written > layer.tar_size)
                return Error::internal("save: layer " + layer.diff_id + " is larger than recorded");
            TRY(writer.data(std::string_view(buffer, static_cast<size_t>(n))));
        }
    } else if (status != ARCHIVE_EOF) {
        return Error::internal("save: layer blob " + layer.blob + " unreadable");
    }
    if (written != layer.tar_size || hasher.digest() != layer.diff_id)
        return Error::internal("save: stored layer " + layer.diff_id +
                               " no longer matches its digest");
    return {};
}

struct SavedImage {
    std::string id;
    std::vector<Reference> tags;
};

}  // namespace

ErrorOr<void> Store::save(const std::vector<std::string>& names, int out_fd) {
    State& state = *state_;
    std::vector<SavedImage> selected;
    auto select = [&](const std::string& id, std::optional<Reference> tag) {
        for (auto& image : selected) {
            if (image.id == id) {
                if (tag &&
                    std::find(image.tags.begin(), image.tags.end(), *tag) == image.tags.end())
                    image.tags.push_back(*tag);
                return;
            }
        }
        selected.push_back({id, {}});
        if (tag)
            selected.back().tags.push_back(*tag);
    };
    LayerPins pins(state);
    {
        std::unique_lock lock(state.mutex);
        for (const auto& name : names) {
            // A repository name without a tag saves every tag of that repository.
            auto repository = Reference::parse_name_only(name);
            if (repository && repository->tag.empty() && repository->digest.empty()) {
                bool any = false;
                for (const auto& [text, id] : state.references) {
                    auto reference = Reference::parse(text);
                    if (reference && reference->name() == repository->name() &&
                        !reference->tag.empty()) {
                        select(id, *reference);
                        any = true;
                    }
                }
                if (any)
                    continue;
            }
            std::string id = TRY(state.find_image_locked(name));
            std::optional<Reference> tag;
            if (auto reference = Reference::parse(name);
                reference && state.references.contains(reference->string()) &&
                !reference->tag.empty())
                tag = *reference;
            select(id, tag);
        }
        // Held until the archive is written: a concurrent rmi must not take the layers away.
        for (const auto& image : selected)
            for (const auto& diff_id : state.images.at(image.id).config.diff_ids)
                pins.pin_locked(diff_id);
    }
    if (selected.empty())
        return Error::invalid("save: no images given");
    ArchiveWriter writer = TRY(ArchiveWriter::open(out_fd));
    TRY(writer.directory("blobs"));
    TRY(writer.directory("blobs/sha256"));
    std::set<std::string> written_blobs;
    Json archive_manifest = Json::array();
    Json index_manifests = Json::array();
    Json repositories = Json::object();
    for (const auto& image : selected) {
        std::string config_json = TRY(fs::read_file(state.config_path(image.id), max_config_size));
        ImageConfig config = TRY(parse_image_config(config_json));
        if (written_blobs.insert(image.id).second)
            TRY(writer.file("blobs/sha256/" + image.id.substr(7), config_json));
        Json layer_paths = Json::array();
        Json layer_descriptors = Json::array();
        for (const auto& diff_id : config.diff_ids) {
            LayerRecord layer = TRY(state.read_layer(diff_id));
            std::string path = "blobs/sha256/" + diff_id.substr(7);
            if (written_blobs.insert(diff_id).second)
                TRY(write_layer(writer, state.blob_path(layer.blob), layer));
            layer_paths.push_back(path);
            layer_descriptors.push_back({{"mediaType", media_type::oci_layer},
                                         {"digest", diff_id},
                                         {"size", layer.tar_size}});
        }
        Json manifest = {{"schemaVersion", 2},
                         {"mediaType", media_type::oci_manifest},
                         {"config",
                          {{"mediaType", media_type::oci_config},
                           {"digest", image.id},
                           {"size", config_json.size()}}},
                         {"layers", layer_descriptors}};
        std::string manifest_json = manifest.dump();
        std::string manifest_digest = sha256_digest(manifest_json);
        if (written_blobs.insert(manifest_digest).second)
            TRY(writer.file("blobs/sha256/" + manifest_digest.substr(7), manifest_json));
        Json descriptor = {{"mediaType", media_type::oci_manifest},
                           {"digest", manifest_digest},
                           {"size", manifest_json.size()}};
        Json repo_tags = Json::array();
        if (image.tags.empty())
            index_manifests.push_back(descriptor);
        for (const auto& tag : image.tags) {
            repo_tags.push_back(tag.familiar());
            Json tagged = descriptor;
            tagged["annotations"] = {{"io.containerd.image.name", tag.string()},
                                     {"org.opencontainers.image.ref.name", tag.tag}};
            index_manifests.push_back(tagged);
            if (!config.diff_ids.empty())
                repositories[tag.familiar_name()][tag.tag] = config.diff_ids.back().substr(7);
        }
        archive_manifest.push_back({{"Config", "blobs/sha256/" + image.id.substr(7)},
                                    {"RepoTags", repo_tags},
                                    {"Layers", layer_paths}});
    }
    Json index = {
        {"schemaVersion", 2}, {"mediaType", media_type::oci_index}, {"manifests", index_manifests}};
    TRY(writer.file("index.json", index.dump() + "\n"));
    TRY(writer.file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
    TRY(writer.file("manifest.json", archive_manifest.dump() + "\n"));
    TRY(writer.file("repositories", repositories.dump() + "\n"));
    return writer.close();
}

}  // namespace corral::image
