// Fuzzes the JSON parsers of image distribution: manifests, indexes, image configs and
// docker-archive manifest.json.
#include <cstdint>
#include <string_view>

#include "image/formats.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    using namespace corral::image;
    (void)parse_manifest(text);
    (void)is_manifest_index(text);
    if (auto index = parse_manifest_index(text))
        (void)select_platform(*index, {"linux", "amd64", {}});
    (void)parse_image_config(text);
    (void)parse_archive_manifest(text);
    (void)parse_rfc3339(text);
    return 0;
}
