// Fuzzes insecure-registry settings: the first line is an entry, the rest a registry domain.
// Any input is checked and matched without crashing; an entry always matches itself.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "image/registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    size_t newline = text.find('\n');
    std::string entry(text.substr(0, newline));
    std::string domain(newline == std::string_view::npos ? "" : text.substr(newline + 1));
    // Names "resolve" to the domain's own text (no DNS here), which then goes through the
    // address parser as a resolver's answer would.
    auto resolve = [&](const std::string&) { return std::vector<std::string>{domain}; };
    (void)corral::image::check_insecure_registry(entry);
    (void)corral::image::is_insecure_registry(domain, {entry}, resolve);
    if (!corral::image::is_insecure_registry(entry, {entry}, resolve))
        std::abort();
    return 0;
}
