// Fuzzes kernel command line parsing and the YAML-typed value reader it uses.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/cmdline.h"
#include "config/schema.h"
#include "config/tree.h"
#include "config/yaml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    corral::config::KernelCmdline parsed = corral::config::parse_kernel_cmdline(text);
    (void)corral::config::validate_cloud_config(parsed.config);
    (void)corral::config::emit_yaml(parsed.config);
    (void)corral::config::parse_value_text(text);
    return 0;
}
