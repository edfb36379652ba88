// Fuzzes the json-file log line and timestamp parsers.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "engine/log_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)corral::engine::parse_log_line(text);
    auto time = corral::engine::parse_timestamp(text);
    if (!time.is_error()) {
        // What we print, we read back to the same instant.
        auto printed = corral::engine::format_timestamp(*time);
        auto again = corral::engine::parse_timestamp(printed);
        if (again.is_error() || *again != *time)
            std::abort();
    }
    return 0;
}
