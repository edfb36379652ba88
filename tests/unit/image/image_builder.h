// Builds image archives for the tests: layers, configs, docker-archive and OCI layout tars.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

#include "image/digest.h"
#include "tar_builder.h"

namespace corral::image::testing {

struct TestImage {
    std::vector<std::string> layers;  // uncompressed tars, lowest first
    std::string config_json;
    std::string id;
};

inline TestImage make_image(std::vector<std::string> layers, const std::string& marker,
                            const std::string& created = "2024-01-02T03:04:05Z") {
    nlohmann::json diff_ids = nlohmann::json::array();
    for (const auto& layer : layers)
        diff_ids.push_back(sha256_digest(layer));
    nlohmann::json config = {
        {"architecture", "amd64"},
        {"os", "linux"},
        {"created", created},
        {"config",
         {{"Env", {"PATH=/usr/bin:/bin", "MARKER=" + marker}},
          {"Cmd", {"sh"}},
          {"WorkingDir", "/"},
          {"Labels", {{"test", marker}}},
          {"ExposedPorts", {{"80/tcp", nlohmann::json::object()}}}}},
        {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}},
        {"history", {{{"created", created}, {"created_by", "test " + marker}}}},
    };
    TestImage image{std::move(layers), config.dump(), {}};
    image.id = sha256_digest(image.config_json);
    return image;
}

// A `docker save`-style archive (old layout: <n>/layer.tar, <id>.json, manifest.json).
inline std::string docker_archive(
    const std::vector<std::pair<TestImage, std::vector<std::string>>>& images) {
    TarBuilder tar;
    nlohmann::json manifest = nlohmann::json::array();
    int counter = 0;
    for (const auto& [image, tags] : images) {
        nlohmann::json layer_paths = nlohmann::json::array();
        for (const auto& layer : image.layers) {
            std::string dir = "layer" + std::to_string(++counter);
            tar.dir(dir);
            tar.file(dir + "/layer.tar", layer);
            layer_paths.push_back(dir + "/layer.tar");
        }
        std::string config_path = image.id.substr(7) + ".json";
        tar.file(config_path, image.config_json);
        manifest.push_back({{"Config", config_path}, {"RepoTags", tags}, {"Layers", layer_paths}});
    }
    tar.file("manifest.json", manifest.dump());
    return tar.finish();
}

inline std::string compress(const std::string& bytes, Compression compression) {
    // Recompress by writing the tar's entries again is not byte-exact; instead wrap the raw
    // bytes with libarchive's raw writer filter.
    archive* writer = archive_write_new();
    archive_write_set_format_raw(writer);
    archive_write_set_bytes_in_last_block(writer, 1);
    if (compression == Compression::gzip)
        archive_write_add_filter_gzip(writer);
    else if (compression == Compression::zstd)
        archive_write_add_filter_zstd(writer);
    std::string output;
    archive_write_open(
        writer, &output, nullptr,
        [](archive*, void* context, const void* data, size_t size) -> la_ssize_t {
            static_cast<std::string*>(context)->append(static_cast<const char*>(data), size);
            return static_cast<la_ssize_t>(size);
        },
        nullptr);
    archive_entry* entry = archive_entry_new();
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_pathname(entry, "data");
    archive_entry_set_size(entry, static_cast<la_int64_t>(bytes.size()));
    archive_write_header(writer, entry);
    archive_write_data(writer, bytes.data(), bytes.size());
    archive_entry_free(entry);
    archive_write_close(writer);
    archive_write_free(writer);
    return output;
}

// An OCI image layout tar with compressed layers; `name` goes into the index annotations.
inline std::string oci_layout(const TestImage& image, Compression compression,
                              const std::string& name) {
    TarBuilder tar;
    tar.file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
    tar.dir("blobs");
    tar.dir("blobs/sha256");
    nlohmann::json layers = nlohmann::json::array();
    std::string suffix = compression == Compression::gzip   ? "+gzip"
                         : compression == Compression::zstd ? "+zstd"
                                                            : "";
    for (const auto& layer : image.layers) {
        std::string blob = compression == Compression::none ? layer : compress(layer, compression);
        std::string digest = sha256_digest(blob);
        tar.file("blobs/sha256/" + digest.substr(7), blob);
        layers.push_back({{"mediaType", "application/vnd.oci.image.layer.v1.tar" + suffix},
                          {"digest", digest},
                          {"size", blob.size()}});
    }
    tar.file("blobs/sha256/" + image.id.substr(7), image.config_json);
    nlohmann::json manifest = {{"schemaVersion", 2},
                               {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                               {"config",
                                {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                                 {"digest", image.id},
                                 {"size", image.config_json.size()}}},
                               {"layers", layers}};
    std::string manifest_json = manifest.dump();
    std::string manifest_digest = sha256_digest(manifest_json);
    tar.file("blobs/sha256/" + manifest_digest.substr(7), manifest_json);
    nlohmann::json descriptor = {{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                                 {"digest", manifest_digest},
                                 {"size", manifest_json.size()}};
    if (!name.empty())
        descriptor["annotations"] = {{"org.opencontainers.image.ref.name", name}};
    nlohmann::json index = {{"schemaVersion", 2}, {"manifests", {descriptor}}};
    tar.file("index.json", index.dump());
    return tar.finish();
}

}  // namespace corral::image::testing
