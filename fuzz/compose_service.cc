// Fuzzes compose service files: parse, interpolation, mapping to container specs, ordering.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "compose/order.h"
#include "compose/repository.h"
#include "compose/service.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    corral::compose::Environment environment = corral::compose::default_environment();
    environment["AWS_REGION"] = "x";
    auto services = corral::compose::parse_service_file(text, "fuzz.yml", environment);
    if (services)
        (void)corral::compose::start_order(*services);
    (void)corral::compose::parse_repository_index(text, "index.yml");
    (void)corral::compose::split_command(text);
    (void)corral::compose::parse_bytes(text);
    (void)corral::compose::interpolate(text, environment);
    return 0;
}
