// Fuzzes the Go-template subset of `inspect -f`: any template text, executed against a fixed
// container document, must parse or fail cleanly and execute without crashing.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cli/system_docker_template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const corral::cli::Json document = corral::cli::Json::parse(R"({
        "Id": "abc", "State": {"Status": "running", "ExitCode": 0, "Running": true},
        "Config": {"Cmd": ["sh", "-c", "x"], "Labels": {"a": "1"}, "Env": null},
        "Mounts": [{"Source": "/a"}, {"Source": "/b"}], "Size": 1.5})");
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto parsed = corral::cli::Template::parse(text);
    if (parsed.is_error())
        return 0;
    (void)parsed->execute(document);
    return 0;
}
