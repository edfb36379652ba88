// Docker's multiplexed stream format: each frame is an 8-byte header [stream, 0, 0, 0, size as
// big-endian 32 bits] and `size` bytes of payload, stream 0 stdin, 1 stdout, 2 stderr (3 is
// the daemon's system error stream in newer APIs). Frames arrive split at any byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace corral::cli {

enum class StreamId : uint8_t {
    stdin_stream = 0,
    stdout_stream = 1,
    stderr_stream = 2,
    system = 3
};

class StreamDemultiplexer {
  public:
    using Sink = std::function<ErrorOr<void>(StreamId, std::string_view)>;
    explicit StreamDemultiplexer(Sink sink) : sink_(std::move(sink)) {}

    // Hands every complete piece of payload in `data` to the sink; payload is passed on as it
    // arrives, so a large frame is never held whole.
    ErrorOr<void> feed(std::string_view data);
    // True when the input ended on a frame boundary.
    bool at_frame_boundary() const { return header_fill_ == 0 && payload_left_ == 0; }

  private:
    Sink sink_;
    uint8_t header_[8] = {};
    size_t header_fill_ = 0;
    uint32_t payload_left_ = 0;
    StreamId current_ = StreamId::stdout_stream;
};

// Splits a stream of concatenated JSON values (events, pull and load progress) into whole
// values, whatever the separators and however the bytes are split.
class JsonSequenceSplitter {
  public:
    explicit JsonSequenceSplitter(size_t max_value_bytes = 1 << 20)
        : max_value_bytes_(max_value_bytes) {}
    // Appends `data`; returns the text of every value completed by it.
    ErrorOr<std::vector<std::string>> feed(std::string_view data);
    // Bytes of an unfinished value (non-empty at the end means the stream was cut).
    bool has_partial() const { return !pending_.empty(); }

  private:
    size_t max_value_bytes_;
    std::string pending_;
    int depth_ = 0;
    bool in_string_ = false;
    bool escaped_ = false;
};

// Builds one frame (for tests and for anything that writes the format).
std::string make_stream_frame(StreamId stream, std::string_view payload);

}  // namespace corral::cli
