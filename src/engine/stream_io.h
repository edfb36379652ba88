// Byte-level helpers for hijacked connections: docker's multiplexed stream frames and the
// detach key sequence.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"
#include "engine/engine.h"

namespace corral::engine {

// [stream, 0, 0, 0, size as big-endian u32] + payload.
std::string frame(LogStream stream, std::string_view payload);

// Writes all of `data` to a (blocking) socket; EPIPE/ECONNRESET become ErrorKind::unavailable.
ErrorOr<void> write_to_client(int fd, std::string_view data);

// Docker's --detach-keys: "ctrl-p,ctrl-q" (default), "a,ctrl-b", "ctrl-@", "ctrl-[" ...
ErrorOr<std::string> parse_detach_keys(std::string_view text);

// Finds the detach sequence in stdin. feed() returns the bytes to pass on; a possible start
// of the sequence at the end of a chunk is held back until the next chunk decides.
class DetachMatcher {
  public:
    explicit DetachMatcher(std::string keys) : keys_(std::move(keys)) {}
    struct Result {
        std::string forward;
        bool detach = false;
    };
    Result feed(std::string_view input);
    // Bytes held back when the stream ends (they were not a detach after all).
    std::string flush();

  private:
    std::string keys_;
    std::string held_;
};

}  // namespace corral::engine
