// Decoding write_files content: `encoding` b64/base64, gzip/gz, and the combinations
// gz+b64, gzip+base64, gz+base64, gzip+b64 (base64 of gzip data).
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "config/model.h"

namespace corral::config {

inline constexpr size_t max_decoded_content_bytes = 64 << 20;

ErrorOr<std::string> base64_decode(std::string_view text);
ErrorOr<std::string> gunzip(std::string_view data, size_t max_size = max_decoded_content_bytes);
ErrorOr<std::string> decode_content(std::string_view content, std::string_view encoding);

// The file's bytes as they go to disk.
inline ErrorOr<std::string> decoded_content(const WriteFile& file) {
    return decode_content(file.content, file.encoding);
}

// The mode from `permissions` ("0644", "644", "0755"); 0644 when empty.
ErrorOr<unsigned> parse_permissions(std::string_view text);

}  // namespace corral::config
