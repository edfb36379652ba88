// Fuzzes the container record parser: any input must parse or fail cleanly, and a parsed
// record must survive a serialize/parse round trip unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "engine/state.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto parsed = corral::engine::parse_container(text);
    if (parsed.is_error())
        return 0;
    auto serialized = corral::engine::serialize_container(*parsed);
    auto again = corral::engine::parse_container(serialized);
    if (again.is_error() || corral::engine::serialize_container(*again) != serialized)
        std::abort();
    return 0;
}
