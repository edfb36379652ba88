// Fuzzes reference parsing: any input either fails cleanly or yields a reference whose
// canonical string parses back to the same reference.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "image/reference.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto reference = corral::image::Reference::parse(text);
    if (!reference)
        return 0;
    auto again = corral::image::Reference::parse(reference->string());
    if (!again || !(*again == *reference))
        std::abort();
    auto familiar = corral::image::Reference::parse(reference->familiar());
    if (!familiar || familiar->name() != reference->name())
        std::abort();
    return 0;
}
