// Internal to the image store: its in-memory index and the helpers shared by the files that
// implement Store (store.cc, archive_load.cc, archive_save.cc, import.cc, pull.cc).
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "image/store.h"

namespace corral::image {

struct LayerRecord {
    std::string diff_id;     // "sha256:<hex>" of the uncompressed tar
    int64_t size = 0;        // bytes of file content
    int64_t tar_size = 0;    // bytes of the uncompressed tar
    std::string blob;        // digest of the stored blob (compressed or not)
    std::string media_type;  // of the stored blob
};

struct ImageRecord {
    std::string id;
    ImageConfig config;
    int64_t size = 0;
    std::vector<int64_t> layer_sizes;
};

struct Store::State {
    std::string root;
    StoreOptions options;

    mutable std::shared_mutex mutex;
    std::map<std::string, ImageRecord> images;      // by id
    std::map<std::string, std::string> references;  // Reference::string() → image id
    std::map<std::string, int> pinned_layers;       // diff id → in-flight users
    // Images deleted by a forced rmi while a stopped container still uses them: invisible to
    // resolve, but their layers stay (layer_dirs still answers) until prune finds no user.
    // Configs in images/retired/.
    std::map<std::string, ImageRecord> retired;

    std::string blob_path(std::string_view digest) const;
    std::string layer_path(std::string_view diff_id) const;  // layers/<hex>
    std::string layer_root(std::string_view diff_id) const;  // layers/<hex>/root
    std::string config_path(std::string_view id) const;      // images/<hex>.json
    std::string retired_path(std::string_view id) const;     // images/retired/<hex>.json
    std::string temp_root() const;                           // tmp/

    // Must hold `mutex` (shared is enough for the readers).
    Image to_image_locked(const ImageRecord& record) const;
    ErrorOr<std::string> find_image_locked(std::string_view name_or_id) const;
    ErrorOr<void> save_references_locked() const;
    // Removes layers no image uses and nobody has pinned; exclusive lock held.
    // Returns the bytes of layer content removed.
    int64_t collect_garbage_locked(const std::set<std::string>& candidates);

    ErrorOr<LayerRecord> read_layer(std::string_view diff_id) const;
    bool has_layer(std::string_view diff_id) const;

    // Unpacks the blob file (anywhere under root, consumed: moved into blobs/) as the layer
    // `expected_diff_id` (when not empty), verifying it; reuses an existing layer.
    // `blob_digest` is the verified digest of the blob file, or empty to compute it.
    // `trust_diff_id`: the layer comes from a trusted source (LoadOptions::trusted) and
    // `expected_diff_id` is taken as its diff id without hashing the uncompressed stream.
    ErrorOr<LayerRecord> ingest_layer(const std::string& blob_file, std::string_view blob_digest,
                                      std::string_view media_type,
                                      std::string_view expected_diff_id,
                                      const ProgressSink& progress, bool trust_diff_id = false);

    // Records the config (its digest is the id) and points `references` at it. All the
    // image's layers must be present.
    ErrorOr<std::string> register_image(std::string_view config_json,
                                        const std::vector<Reference>& references);
};

// Holds layers against garbage collection while an image is being assembled.
class LayerPins {
  public:
    explicit LayerPins(Store::State& state) : state_(state) {}
    ~LayerPins();
    LayerPins(const LayerPins&) = delete;
    LayerPins& operator=(const LayerPins&) = delete;
    void pin(const std::string& diff_id);
    // As pin, with the state's mutex already held exclusively.
    void pin_locked(const std::string& diff_id);

  private:
    Store::State& state_;
    std::vector<std::string> pinned_;
};

// "a3ed95caeb02" from "sha256:a3ed95caeb02...".
std::string short_id(std::string_view digest);

}  // namespace corral::image
