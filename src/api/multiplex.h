// Docker's multiplexed stream framing (stdout and stderr over one connection when there is no
// TTY): each frame is an 8-byte header {stream, 0, 0, 0, size as big-endian u32} and the data.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"

namespace corral::api {

enum class StreamId : uint8_t { stdin_stream = 0, stdout_stream = 1, stderr_stream = 2 };

// Frames `data` (split into several frames past the 32-bit size limit); empty data gives no
// frame.
std::string frame(StreamId stream, std::string_view data);

// Reassembles frames from arbitrary byte chunks (for clients and tests).
class FrameDecoder {
  public:
    // Returns the frames completed by `data`. Fails on a stream byte other than 0, 1, 2 or a
    // frame larger than `max_frame`.
    ErrorOr<std::vector<std::pair<StreamId, std::string>>> feed(std::string_view data);
    // True when no partial frame is pending.
    bool idle() const { return pending_.empty(); }
    size_t max_frame = 16 << 20;

  private:
    std::string pending_;
};

}  // namespace corral::api
