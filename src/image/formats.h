// The JSON documents of image distribution, typed: image configs, manifests (docker schema 2
// and OCI), manifest lists / OCI indexes, and docker-archive manifest.json. Parsers take the
// raw bytes, enforce size limits and return typed values; unknown keys are ignored, as the
// OCI image spec requires of readers.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "image/store.h"

namespace corral::image {

constexpr size_t max_manifest_size = 4 << 20;
constexpr size_t max_config_size = 8 << 20;
constexpr size_t max_layers = 1000;

namespace media_type {
inline constexpr std::string_view docker_manifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view docker_manifest_list =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view docker_config = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view docker_layer_gzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view oci_manifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view oci_index = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view oci_config = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view oci_layer = "application/vnd.oci.image.layer.v1.tar";
}  // namespace media_type

struct Platform {
    std::string os;
    std::string architecture;
    std::string variant;
};

struct Descriptor {
    std::string media_type;
    std::string digest;  // "sha256:<hex>" (validated)
    int64_t size = 0;
    Platform platform;
    std::map<std::string, std::string> annotations;
};

// A single-image manifest (docker schema 2 or OCI).
struct Manifest {
    std::string media_type;
    Descriptor config;
    std::vector<Descriptor> layers;
};

// A manifest list (docker) or image index (OCI).
struct ManifestIndex {
    std::string media_type;
    std::vector<Descriptor> manifests;
};

struct ArchiveManifestEntry {
    std::string config;  // path in the archive
    std::vector<std::string> repo_tags;
    std::vector<std::string> layers;  // paths in the archive, lowest first
};

ErrorOr<ImageConfig> parse_image_config(std::string_view json);
// True when the document is an index/list (by mediaType, or a "manifests" array).
ErrorOr<bool> is_manifest_index(std::string_view json, std::string_view content_type = {});
ErrorOr<Manifest> parse_manifest(std::string_view json);
ErrorOr<ManifestIndex> parse_manifest_index(std::string_view json);
ErrorOr<std::vector<ArchiveManifestEntry>> parse_archive_manifest(std::string_view json);

// The entry of `index` for the platform, or not_found naming what was available.
ErrorOr<Descriptor> select_platform(const ManifestIndex& index, const Platform& wanted);

// RFC 3339 text → seconds since the epoch (0 when empty or unparseable).
int64_t parse_rfc3339(std::string_view text);
// Seconds+nanoseconds → "2024-01-02T03:04:05.123456789Z".
std::string format_rfc3339(int64_t seconds, long nanoseconds = 0);

}  // namespace corral::image
