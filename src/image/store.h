// The image store: content-addressed blobs, unpacked layers (overlay lower dirs), image
// configs and the tag index, under one root directory (e.g. <data-root>/image).
//
// Layout under root:
//   blobs/sha256/<hex>        compressed layers, manifests and configs as received (verified)
//   layers/<diff hex>/        one unpacked directory per layer diff_id (overlay lowerdir)
//   layers/<diff hex>.json    layer metadata (size, compressed digest if known)
//   images/<id hex>.json      the image config as received (its sha256 is the image id)
//   repositories.json         tags and digests → image id, written atomically
//
// Thread-safe: every public member may be called from several threads at once. Long work
// (unpacking, downloading) runs without holding the index lock; an image becomes visible only
// once all its layers are in place.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "image/reference.h"

namespace corral::image {

struct HistoryEntry {
    std::string created;  // RFC 3339, may be empty
    std::string created_by;
    std::string author;
    std::string comment;
    bool empty_layer = false;
};

// The image configuration (OCI image config / docker's image JSON), typed.
struct ImageConfig {
    // The container defaults ("config" in the JSON).
    std::vector<std::string> env;  // "KEY=value"
    std::optional<std::vector<std::string>> cmd;
    std::optional<std::vector<std::string>> entrypoint;
    std::string working_dir;
    std::string user;
    std::map<std::string, std::string> labels;
    std::vector<std::string> exposed_ports;  // "80/tcp", sorted
    std::vector<std::string> volumes;        // "/data", sorted
    std::string stop_signal;
    // The image itself.
    std::string architecture;  // "amd64"
    std::string os;            // "linux"
    std::string variant;
    std::string created;  // RFC 3339 as in the config, may be empty
    std::string author;
    std::string comment;
    std::vector<HistoryEntry> history;
    std::vector<std::string> diff_ids;  // rootfs.diff_ids: "sha256:<hex>", lowest first
};

struct Image {
    std::string id;                         // "sha256:<hex>" (digest of the config JSON)
    std::vector<std::string> repo_tags;     // familiar: "busybox:latest", sorted
    std::vector<std::string> repo_digests;  // "busybox@sha256:...", sorted
    std::string parent;                     // "" (no build cache here)
    int64_t created = 0;                    // seconds since the epoch, from config.created
    int64_t size = 0;                       // bytes of all unpacked layers
    std::vector<int64_t> layer_sizes;       // bytes per layer, as config.diff_ids
    ImageConfig config;
};

// One docker-style progress record; the API turns each into a JSON line
// {"status": ..., "id": ..., "progressDetail": {"current": .., "total": ..}, "progress": ..}.
struct ProgressRecord {
    std::string id;      // short layer id ("a3ed95caeb02") or empty
    std::string status;  // "Pulling fs layer", "Downloading", "Pull complete", "Loading layer"
    int64_t current = 0;
    int64_t total = 0;     // 0 = unknown
    std::string progress;  // rendered bar, may be empty
};
using ProgressSink = std::function<void(const ProgressRecord&)>;

struct RegistryAuth {
    std::string username;
    std::string password;
    std::string identity_token;  // OAuth refresh token ("IdentityToken"), optional
    std::string registry_token;  // a bearer token to send as is ("RegistryToken"), optional
};

// What `load` registered: one entry per image, with the references it was tagged with.
struct LoadedImage {
    std::string id;                       // "sha256:<hex>"
    std::vector<std::string> references;  // familiar: "busybox:latest"; empty: untagged
};
struct LoadOptions {
    // The archive is the system's own (the read-only boot medium the kernel and init came
    // from): a layer's diff id is taken from the image config instead of being recomputed
    // over its uncompressed bytes. Never for archives from clients or registries.
    bool trusted = false;
};

// docker's lines for a load result: "Loaded image: busybox:latest" per reference, or
// "Loaded image ID: sha256:..." for an untagged image.
std::vector<std::string> load_messages(const std::vector<LoadedImage>& loaded);

// One line of a removal ([{"Untagged": "busybox:latest"}, {"Deleted": "sha256:..."}]).
struct RemoveRecord {
    enum class Kind { untagged, deleted };
    Kind kind = Kind::untagged;
    std::string value;
};

// Who uses an image, for `remove`: docker's conflicts differ for running and stopped users.
struct ImageUser {
    std::string container_id;
    bool running = false;
};
using ImageUserLookup = std::function<std::optional<ImageUser>(const std::string& image_id)>;

struct PruneResult {
    std::vector<RemoveRecord> records;
    int64_t space_reclaimed = 0;  // bytes of the layers removed
};

struct ImportOptions {
    std::optional<std::string> reference;  // "name:tag" to tag the new image with
    std::vector<std::string> changes;  // docker import --change lines: "CMD [\"sh\"]", "ENV A=b"
    std::string message;               // history comment (--message)
    std::string architecture;          // default: the host's ("amd64")
    std::string os;                    // default: "linux"
};

struct PullResult {
    std::string id;                 // "sha256:<hex>"
    std::string digest;             // manifest digest "sha256:..." (repo digest)
    std::string reference;          // familiar reference pulled: "busybox:latest"
    bool downloaded_newer = false;  // false: "Image is up to date"
};

struct StoreOptions {
    // Device nodes other than 0/0 whiteouts are refused in layers unless allowed.
    bool allow_device_nodes = false;
    // Registry access: "<certs_dir>/<host:port>/ca.crt" is the CA bundle for that registry
    // (docker's certs.d layout). Empty: "<root>/certs.d".
    std::string certs_dir;
    // Insecure registries (host:port, dockerd's --insecure-registry): HTTPS with any
    // certificate, else plain HTTP. localhost and 127.0.0.0/8 are always plain HTTP (unless
    // certs_dir has their CA).
    std::vector<std::string> insecure_registries;
    // When set, asked at each pull for the insecure registries, which then replace
    // insecure_registries: PID 1 reads them from the configuration as it is at that moment, so
    // that a cloud-config saved after the engine started, or `ros config set`, applies.
    std::function<std::vector<std::string>()> insecure_registries_source;
    // When set, called at the start of each pull (PID 1 waits there for the boot medium, which
    // carries libcurl).
    std::function<void()> before_pull;
    // Platform picked from manifest lists.
    std::string platform_os = "linux";
    std::string platform_architecture = "amd64";
};

class Store {
  public:
    static ErrorOr<std::unique_ptr<Store>> open(std::string root, StoreOptions options = {});
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    const std::string& root() const;
    // The insecure registries a pull would use now (StoreOptions::insecure_registries_source's
    // answer when it is set, else StoreOptions::insecure_registries).
    std::vector<std::string> insecure_registries() const;

    // An image by full id ("sha256:<hex>" or "<hex>"), unambiguous id prefix (as docker:
    // any length ≥ 1), or reference ("busybox" = "docker.io/library/busybox:latest",
    // "name@sha256:..."). not_found: "No such image: <name>"; an ambiguous prefix is
    // not_found too (as docker).
    ErrorOr<Image> resolve(std::string_view name_or_id) const;
    // Every image, newest first.
    std::vector<Image> list() const;

    // Loads a `docker save` archive (manifest.json, repositories) or an OCI image layout tar
    // (oci-layout, index.json, blobs/) read from `fd` until end of file. The layers not in
    // the store yet are unpacked two at a time.
    ErrorOr<std::vector<LoadedImage>> load(int fd, const ProgressSink& progress = {},
                                           const LoadOptions& options = {});
    // Writes a docker-archive (manifest.json, repositories, <config hex>.json,
    // <layer>/layer.tar, OCI index.json/oci-layout too) of the named images to `out_fd`.
    // Names are references or ids; a repository name without a tag saves all its tags.
    ErrorOr<void> save(const std::vector<std::string>& names, int out_fd);
    // As `docker import`: one layer from a (possibly compressed) rootfs tar.
    ErrorOr<Image> import_rootfs(int fd, const ImportOptions& options);
    // Tags the image `source` (name or id) as `target` ("name[:tag]"), replacing the tag's
    // previous image.
    ErrorOr<void> tag(std::string_view source, std::string_view target);
    // As `docker rmi`: untags `name`; deletes the image once no tag is left. Refuses with
    // conflict (409) when a container uses it (`in_use(id)` true) unless force, or when `name`
    // is an id and the image has several repositories, unless force.
    ErrorOr<std::vector<RemoveRecord>> remove(
        std::string_view name, bool force,
        const std::function<bool(const std::string& image_id)>& in_use = {});
    // As above with docker's exact conflicts: a running user blocks even a forced delete
    // ("cannot be forced"), a stopped one blocks an unforced one ("must be forced"). An image
    // deleted by force while a stopped container uses it keeps its layers: layer_dirs(full id)
    // still answers for it until prune() finds it unused.
    ErrorOr<std::vector<RemoveRecord>> remove_image(std::string_view name, bool force,
                                                    const ImageUserLookup& users);
    // As `docker image prune`: deletes dangling (untagged) images, or with `all` every image,
    // that no container uses.
    ErrorOr<PruneResult> prune(bool all, const ImageUserLookup& users = {});
    // Unpacked layer directories of the image, LOWEST first. overlayfs wants the reverse
    // order in lowerdir= (top first).
    ErrorOr<std::vector<std::string>> layer_dirs(std::string_view image_id) const;
    // Pulls from a registry v2 (HTTP for localhost/127.0.0.0/8, HTTPS with any certificate or
    // HTTP for insecure registries, HTTPS otherwise), picking the configured platform from manifest
    // lists. `progress` gets the per-layer records; the caller writes docker's "Pulling from
    // <path>", "Digest: <digest>" and "Status: Downloaded newer image for <reference>" / "Status:
    // Image is up to date for <reference>" lines from the reference and the result.
    ErrorOr<PullResult> pull(std::string_view reference, const RegistryAuth& auth = {},
                             const ProgressSink& progress = {});

    // Opaque: defined in store_state.h, internal to the image module.
    struct State;

  private:
    explicit Store(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
};

}  // namespace corral::image
