// Fuzzes write_files content decoding: base64, gzip and their combination, and permissions.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/content.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)corral::config::decode_content(text, "b64");
    (void)corral::config::gunzip(text, 1 << 20);
    (void)corral::config::decode_content(text, "gz+b64");
    (void)corral::config::parse_permissions(text);
    return 0;
}
