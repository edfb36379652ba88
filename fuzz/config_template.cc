// Fuzzes the `{{.VAR}}` template renderer of the built-in configuration.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "config/template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    static const std::map<std::string, std::string> variables{
        {"VERSION", "v1"}, {"ARCH", "amd64"}, {"SUFFIX", ""}, {"EMPTY", ""}};
    (void)corral::config::render_template(text, variables);
    return 0;
}
