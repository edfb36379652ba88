#include "image/store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "base/log.h"
#include "base/sys.h"
#include "image/digest.h"
#include "image/formats.h"
#include "image/layer.h"
#include "image/store_state.h"

namespace corral::image {

using Json = nlohmann::json;

std::string short_id(std::string_view digest) {
    if (digest.starts_with("sha256:"))
        digest.remove_prefix(7);
    return std::string(digest.substr(0, 12));
}

std::vector<std::string> load_messages(const std::vector<LoadedImage>& loaded) {
    std::vector<std::string> lines;
    for (const auto& image : loaded) {
        if (image.references.empty())
            lines.push_back("Loaded image ID: " + image.id);
        for (const auto& reference : image.references)
            lines.push_back("Loaded image: " + reference);
    }
    return lines;
}

// ---- State: paths and the index ----

std::string Store::State::blob_path(std::string_view digest) const {
    return root + "/blobs/sha256/" + std::string(digest.substr(digest.find(':') + 1));
}
std::string Store::State::layer_path(std::string_view diff_id) const {
    return root + "/layers/" + std::string(diff_id.substr(diff_id.find(':') + 1));
}
std::string Store::State::layer_root(std::string_view diff_id) const {
    return layer_path(diff_id) + "/root";
}
std::string Store::State::config_path(std::string_view id) const {
    return root + "/images/" + std::string(id.substr(id.find(':') + 1)) + ".json";
}
std::string Store::State::retired_path(std::string_view id) const {
    return root + "/images/retired/" + std::string(id.substr(id.find(':') + 1)) + ".json";
}
std::string Store::State::temp_root() const {
    return root + "/tmp";
}

Image Store::State::to_image_locked(const ImageRecord& record) const {
    Image image;
    image.id = record.id;
    image.config = record.config;
    image.size = record.size;
    image.layer_sizes = record.layer_sizes;
    image.created = parse_rfc3339(record.config.created);
    for (const auto& [text, id] : references) {
        if (id != record.id)
            continue;
        auto reference = Reference::parse(text);
        if (!reference)
            continue;
        if (!reference->tag.empty())
            image.repo_tags.push_back(reference->familiar());
        if (!reference->digest.empty())
            image.repo_digests.push_back(reference->familiar_digest());
    }
    std::sort(image.repo_tags.begin(), image.repo_tags.end());
    std::sort(image.repo_digests.begin(), image.repo_digests.end());
    return image;
}

namespace {

bool is_hex(std::string_view text) {
    return !text.empty() && text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

}  // namespace

ErrorOr<std::string> Store::State::find_image_locked(std::string_view name_or_id) const {
    std::string_view text = name_or_id;
    if (text.starts_with("sha256:")) {
        std::string_view hex = text.substr(7);
        if (!is_hex(hex) || hex.size() > 64)
            return Error::not_found("No such image: " + std::string(name_or_id));
        text = hex;
        if (hex.size() == 64) {
            std::string id = "sha256:" + std::string(hex);
            if (images.contains(id))
                return id;
            return Error::not_found("No such image: " + std::string(name_or_id));
        }
    } else if (is_hex64(text)) {
        std::string id = "sha256:" + std::string(text);
        if (images.contains(id))
            return id;
        return Error::not_found("No such image: " + std::string(name_or_id));
    }
    std::string shown(name_or_id);
    if (!name_or_id.starts_with("sha256:")) {
        if (auto reference = Reference::parse(name_or_id)) {
            auto it = references.find(reference->string());
            if (it != references.end() && images.contains(it->second))
                return it->second;
            shown = reference->familiar();
        }
    }
    // An id prefix, as docker: unambiguous, any length.
    if (is_hex(text) && text.size() <= 64) {
        std::string prefix = "sha256:" + std::string(text);
        auto it = images.lower_bound(prefix);
        if (it != images.end() && it->first.starts_with(prefix)) {
            auto next = std::next(it);
            if (next == images.end() || !next->first.starts_with(prefix))
                return it->first;
        }
    }
    return Error::not_found("No such image: " + shown);
}

ErrorOr<void> Store::State::save_references_locked() const {
    Json json = Json::object();
    Json& map = json["references"] = Json::object();
    for (const auto& [reference, id] : references)
        map[reference] = id;
    return fs::write_file_atomic(root + "/repositories.json", json.dump(2) + "\n", 0600);
}

bool Store::State::has_layer(std::string_view diff_id) const {
    auto st = sys::stat_if_exists(layer_path(diff_id) + "/meta.json");
    return st && st->has_value();
}

ErrorOr<LayerRecord> Store::State::read_layer(std::string_view diff_id) const {
    std::string path = layer_path(diff_id) + "/meta.json";
    std::string text = TRY(fs::read_file(path, 1 << 16));
    try {
        Json json = Json::parse(text);
        LayerRecord record;
        record.diff_id = json.at("diff_id").get<std::string>();
        record.size = json.at("size").get<int64_t>();
        record.tar_size = json.at("tar_size").get<int64_t>();
        record.blob = json.at("blob").get<std::string>();
        record.media_type = json.at("media_type").get<std::string>();
        if (record.diff_id != diff_id)
            return Error::internal(path + ": records layer " + record.diff_id);
        return record;
    } catch (const Json::exception& error) {
        return Error::internal(path + ": " + error.what());
    }
}

int64_t Store::State::collect_garbage_locked(const std::set<std::string>& candidates) {
    int64_t reclaimed = 0;
    std::set<std::string> used;
    for (const auto* table : {&images, &retired})
        for (const auto& [id, record] : *table)
            for (const auto& diff_id : record.config.diff_ids)
                used.insert(diff_id);
    for (const auto& diff_id : candidates) {
        if (used.contains(diff_id) || pinned_layers.contains(diff_id))
            continue;
        auto record = read_layer(diff_id);
        // Rename first so that a half-removed layer is never mistaken for a whole one.
        std::string trash =
            temp_root() + "/trash-" + short_id(diff_id) + "-" + std::to_string(sys::monotonic_ns());
        if (!sys::rename(layer_path(diff_id), trash))
            continue;
        (void)fs::remove_tree(trash);
        if (record) {
            reclaimed += record->size;
            if (!record->blob.empty())
                (void)sys::unlink(blob_path(record->blob));
        }
    }
    return reclaimed;
}

LayerPins::~LayerPins() {
    std::unique_lock lock(state_.mutex);
    for (const auto& diff_id : pinned_) {
        auto it = state_.pinned_layers.find(diff_id);
        if (it != state_.pinned_layers.end() && --it->second == 0)
            state_.pinned_layers.erase(it);
    }
}

void LayerPins::pin(const std::string& diff_id) {
    std::unique_lock lock(state_.mutex);
    pin_locked(diff_id);
}

void LayerPins::pin_locked(const std::string& diff_id) {
    ++state_.pinned_layers[diff_id];
    pinned_.push_back(diff_id);
}

ErrorOr<LayerRecord> Store::State::ingest_layer(const std::string& blob_file,
                                                std::string_view blob_digest,
                                                std::string_view media_type,
                                                std::string_view expected_diff_id,
                                                const ProgressSink& progress, bool trust_diff_id) {
    if (!expected_diff_id.empty() && has_layer(expected_diff_id))
        return read_layer(expected_diff_id);
    std::string digest(blob_digest);
    if (digest.empty()) {
        UniqueFd fd = TRY(sys::open(blob_file, O_RDONLY));
        digest = TRY(sha256_fd(fd.get()));
    }
    fs::TempDir work = TRY(fs::TempDir::create(temp_root(), "layer"));
    std::string unpacked = work.path() + "/root";
    TRY(sys::mkdir(unpacked, 0755));
    UniqueFd fd = TRY(sys::open(blob_file, O_RDONLY));
    UnpackOptions unpack_options;
    unpack_options.allow_device_nodes = options.allow_device_nodes;
    unpack_options.compute_diff_id = !(trust_diff_id && !expected_diff_id.empty());
    std::string shown = short_id(expected_diff_id.empty() ? digest : expected_diff_id);
    if (progress)
        progress({shown, "Extracting", 0, 0, ""});
    UnpackResult result =
        TRY_CONTEXT(unpack_layer(fd.get(), unpacked, unpack_options), "layer " + shown);
    if (!unpack_options.compute_diff_id)
        result.diff_id = std::string(expected_diff_id);
    if (!expected_diff_id.empty() && result.diff_id != expected_diff_id)
        return Error::invalid("layer " + shown + ": content digest " + result.diff_id +
                              " does not match the diff id " + std::string(expected_diff_id) +
                              " of the image config");
    if (has_layer(result.diff_id))
        return read_layer(result.diff_id);
    LayerRecord record;
    record.diff_id = result.diff_id;
    record.size = result.size;
    record.tar_size = result.tar_size;
    record.blob = digest;
    record.media_type =
        media_type.empty() ? std::string(media_type::oci_layer) : std::string(media_type);
    // Keep the blob as received: `save` and registries need its exact bytes.
    std::string stored = blob_path(digest);
    if (!TRY(fs::exists(stored)))
        TRY(sys::rename(blob_file, stored));
    Json meta = {{"diff_id", record.diff_id},
                 {"size", record.size},
                 {"tar_size", record.tar_size},
                 {"blob", record.blob},
                 {"media_type", record.media_type}};
    TRY(fs::write_file_atomic(work.path() + "/meta.json", meta.dump() + "\n", 0600));
    // The layer's files reach the disk before the rename publishes the layer: after a power
    // loss a layer is whole or absent.
    {
        UniqueFd dir = TRY(sys::open(work.path(), O_RDONLY | O_DIRECTORY));
        if (::syncfs(dir.get()) < 0)
            return Error::from_errno("syncfs", work.path(), errno);
    }
    std::string final_path = layer_path(record.diff_id);
    if (::rename(work.path().c_str(), final_path.c_str()) == 0) {
        work.release();
        auto dir = sys::open(root + "/layers", O_RDONLY | O_DIRECTORY);
        if (dir)
            (void)sys::fsync(dir->get());
    } else if (errno != EEXIST && errno != ENOTEMPTY) {
        return Error::from_errno("rename", final_path, errno);
    }  // else: another load of the same layer finished first; ours is dropped
    return record;
}

ErrorOr<std::string> Store::State::register_image(std::string_view config_json,
                                                  const std::vector<Reference>& new_references) {
    std::string id = sha256_digest(config_json);
    ImageConfig config = TRY(parse_image_config(config_json));
    ImageRecord record{id, config, 0, {}};
    for (const auto& diff_id : config.diff_ids) {
        LayerRecord layer = TRY(read_layer(diff_id));
        record.size += layer.size;
        record.layer_sizes.push_back(layer.size);
    }
    std::string path = config_path(id);
    if (!TRY(fs::exists(path)))
        TRY(fs::write_file_atomic(path, config_json, 0600));
    std::unique_lock lock(mutex);
    if (retired.erase(id))
        (void)sys::unlink(retired_path(id));
    images[id] = std::move(record);
    for (const auto& reference : new_references)
        references[reference.string()] = id;
    TRY(save_references_locked());
    return id;
}

// ---- Store ----

Store::Store(std::unique_ptr<State> state) : state_(std::move(state)) {}
Store::~Store() = default;

const std::string& Store::root() const {
    return state_->root;
}

std::vector<std::string> Store::insecure_registries() const {
    const StoreOptions& options = state_->options;
    return options.insecure_registries_source ? options.insecure_registries_source()
                                              : options.insecure_registries;
}

ErrorOr<std::unique_ptr<Store>> Store::open(std::string root, StoreOptions options) {
    auto state = std::make_unique<State>();
    if (options.certs_dir.empty())
        options.certs_dir = root + "/certs.d";
    state->root = std::move(root);
    state->options = std::move(options);
    for (const char* dir : {"", "/blobs/sha256", "/layers", "/images", "/images/retired", "/tmp"})
        TRY_CONTEXT(fs::mkdir_p(state->root + dir, 0700), "image store");
    // Leftovers of interrupted loads: never registered, safe to drop.
    for (const auto& name : TRY(fs::list_dir(state->temp_root())))
        (void)fs::remove_tree(state->temp_root() + "/" + name);
    auto scan = [&](const std::string& dir,
                    std::map<std::string, ImageRecord>& table) -> ErrorOr<void> {
        for (const auto& name : TRY(fs::list_dir(dir))) {
            if (!name.ends_with(".json") || !is_hex64(name.substr(0, name.size() - 5)))
                continue;
            std::string id = "sha256:" + name.substr(0, 64);
            auto text = fs::read_file(dir + "/" + name, max_config_size);
            if (!text || sha256_digest(*text) != id) {
                log::debug("image store: skipping damaged image config " + name);
                continue;
            }
            auto config = parse_image_config(*text);
            if (!config)
                continue;
            ImageRecord record{id, *config, 0, {}};
            bool complete = true;
            for (const auto& diff_id : config->diff_ids) {
                auto layer = state->read_layer(diff_id);
                if (!layer) {
                    complete = false;
                    break;
                }
                record.size += layer->size;
                record.layer_sizes.push_back(layer->size);
            }
            if (complete)
                table[id] = std::move(record);
        }
        return {};
    };
    TRY(scan(state->root + "/images", state->images));
    TRY(scan(state->root + "/images/retired", state->retired));
    std::string index_path = state->root + "/repositories.json";
    if (TRY(fs::exists(index_path))) {
        std::string text = TRY(fs::read_file(index_path, 64 << 20));
        try {
            Json json = Json::parse(text);
            for (const auto& [reference, id] : json.at("references").items()) {
                std::string image_id = id.get<std::string>();
                if (state->images.contains(image_id) && Reference::parse(reference))
                    state->references[reference] = image_id;
            }
        } catch (const Json::exception& error) {
            return Error::internal(index_path + ": " + error.what());
        }
    }
    return std::unique_ptr<Store>(new Store(std::move(state)));
}

ErrorOr<Image> Store::resolve(std::string_view name_or_id) const {
    std::shared_lock lock(state_->mutex);
    std::string id = TRY(state_->find_image_locked(name_or_id));
    return state_->to_image_locked(state_->images.at(id));
}

std::vector<Image> Store::list() const {
    std::shared_lock lock(state_->mutex);
    std::vector<Image> images;
    for (const auto& [id, record] : state_->images)
        images.push_back(state_->to_image_locked(record));
    std::stable_sort(images.begin(), images.end(),
                     [](const Image& a, const Image& b) { return a.created > b.created; });
    return images;
}

ErrorOr<void> Store::tag(std::string_view source, std::string_view target) {
    Reference reference = TRY(Reference::parse(target));
    if (!reference.digest.empty())
        return Error::invalid("refusing to create a tag with a digest reference");
    std::unique_lock lock(state_->mutex);
    std::string id = TRY(state_->find_image_locked(source));
    state_->references[reference.string()] = id;
    return state_->save_references_locked();
}

ErrorOr<std::vector<std::string>> Store::layer_dirs(std::string_view image_id) const {
    std::shared_lock lock(state_->mutex);
    const ImageRecord* record = nullptr;
    auto retired = state_->retired.find(std::string(image_id));
    if (retired != state_->retired.end())
        record = &retired->second;
    else
        record = &state_->images.at(TRY(state_->find_image_locked(image_id)));
    std::vector<std::string> dirs;
    for (const auto& diff_id : record->config.diff_ids)
        dirs.push_back(state_->layer_root(diff_id));
    return dirs;
}

}  // namespace corral::image
