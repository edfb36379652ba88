// Fuzzes the create and exec body parsers: any bytes must give a request or an error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/create_body.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view body(reinterpret_cast<const char*>(data), size);
    (void)corral::api::parse_create_body(body, "fuzz");
    (void)corral::api::parse_exec_body(body);
    (void)corral::api::parse_exec_start_body(body);
    (void)corral::api::parse_bind(body);
    return 0;
}
