// Fuzzes the readers of docker's stream formats that system-docker takes from the daemon: the
// 8-byte-header multiplexed stream and concatenated JSON progress/event messages.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cli/system_docker_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0)
        return 0;
    size_t step = static_cast<size_t>(data[0] % 16) + 1;
    std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
    size_t delivered = 0;
    corral::cli::StreamDemultiplexer demultiplexer(
        [&](corral::cli::StreamId, std::string_view payload) -> corral::ErrorOr<void> {
            delivered += payload.size();
            return {};
        });
    for (size_t offset = 0; offset < input.size(); offset += step) {
        if (demultiplexer.feed(input.substr(offset, step)).is_error())
            break;
    }
    if (delivered > input.size())
        __builtin_trap();
    corral::cli::JsonSequenceSplitter splitter(1024);
    size_t total = 0;
    for (size_t offset = 0; offset < input.size(); offset += step) {
        auto values = splitter.feed(input.substr(offset, step));
        if (values.is_error())
            break;
        for (const auto& value : *values)
            total += value.size();
    }
    if (total > input.size())
        __builtin_trap();
    return 0;
}
