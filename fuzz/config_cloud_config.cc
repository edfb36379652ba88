// Fuzzes the cloud-config path end to end: YAML parse, schema validation, typed model, merge,
// emission and re-parse of what we emitted.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/layers.h"
#include "config/model.h"
#include "config/tree.h"
#include "config/yaml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto document = corral::config::parse_cloud_config(text, "fuzz.yml");
    if (!document)
        return 0;
    const corral::config::Value& value = document->value;
    (void)corral::config::to_cloud_config(value);
    corral::config::Value merged = corral::config::merge(value, value);
    (void)corral::config::lookup(merged, "rancher.network.interfaces.eth0.mtu");
    std::string emitted = corral::config::emit_yaml(value);
    auto again = corral::config::parse_yaml(emitted, "emitted.yml");
    // What we write we must be able to read back, unchanged.
    if (!again || !(*again == value || value.is_null()))
        __builtin_trap();
    return 0;
}
