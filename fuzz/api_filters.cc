// Fuzzes the URL decoders: query strings, filters JSON and timestamps.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/query.h"
#include "api/router.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)corral::api::parse_query(text);
    (void)corral::api::parse_filters(text);
    (void)corral::api::parse_timestamp(text, "since");
    (void)corral::api::percent_decode(text, true);
    (void)corral::api::split_version(text);
    (void)corral::api::compare_versions(text, "1.41");
    return 0;
}
