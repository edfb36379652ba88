// libFuzzer target: everything the shim and its client parse — attach frames in both
// directions, the state files and the shim's command line.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/shim.h"
#include "runtime/shim_client.h"
#include "runtime/shim_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace corral::runtime;
    std::string_view input(reinterpret_cast<const char*>(data), size);
    // Feed in two pieces so the split-frame paths run too.
    size_t half = size / 2;
    shim_protocol::FrameDecoder frames;
    if (frames.feed(input.substr(0, half)) && frames.feed(input.substr(half))) {
        while (auto frame = frames.next()) {
            (void)shim_protocol::decode_resize(frame->payload);
            (void)shim_protocol::decode_exit(frame->payload);
        }
    }
    ShimEventDecoder events;
    if (events.feed(input.substr(0, half)) && events.feed(input.substr(half))) {
        while (events.next()) {
        }
    }
    (void)parse_shim_state(input);
    (void)parse_exit_status(input);
    std::vector<std::string> arguments;
    size_t start = 0;
    while (start <= input.size() && arguments.size() < 64) {
        size_t end = input.find('\n', start);
        if (end == std::string_view::npos)
            end = input.size();
        arguments.emplace_back(input.substr(start, end - start));
        start = end + 1;
    }
    (void)parse_shim_command_line(arguments);
    return 0;
}
