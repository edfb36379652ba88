// The attach socket's wire format, private to src/runtime: frames of
//   [type: 1 byte][length: 4 bytes, big-endian][payload: length bytes]
// client → shim: 'h' hello (payload: 1 byte of stream flags), 'i' stdin data, 'c' close stdin,
//                'r' resize (rows, columns: 2 bytes each, big-endian), 's' start
// shim → client: 'o' stdout data, 'e' stderr data, 'S' start result (error text; empty = ok),
//                'x' exit (exit code: 4 bytes big-endian, then 1 byte: OOM killed)
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace corral::runtime::shim_protocol {

constexpr size_t header_size = 5;
constexpr size_t max_payload = 1 << 20;

namespace type {
constexpr char hello = 'h';
constexpr char stdin_data = 'i';
constexpr char close_stdin = 'c';
constexpr char resize = 'r';
constexpr char start = 's';
constexpr char stdout_data = 'o';
constexpr char stderr_data = 'e';
constexpr char start_result = 'S';
constexpr char exit = 'x';
}  // namespace type

namespace hello_flag {
constexpr uint8_t stdout_stream = 1;
constexpr uint8_t stderr_stream = 2;
constexpr uint8_t stdin_stream = 4;
}  // namespace hello_flag

struct Frame {
    char type = 0;
    std::string payload;
};

std::string encode(char type, std::string_view payload);
std::string encode_resize(unsigned short rows, unsigned short columns);
std::string encode_exit(int exit_code, bool oom_killed);
// Parses the payloads of fixed-size frames; nullopt when malformed.
std::optional<std::pair<unsigned short, unsigned short>> decode_resize(std::string_view payload);
std::optional<std::pair<int, bool>> decode_exit(std::string_view payload);

// Splits a byte stream into frames. An oversized length is an error (the connection is then
// dropped); a partial frame waits for more bytes.
class FrameDecoder {
  public:
    ErrorOr<void> feed(std::string_view bytes);
    std::optional<Frame> next();
    size_t buffered() const { return buffer_.size() - offset_; }

  private:
    std::string buffer_;
    size_t offset_ = 0;
    std::deque<Frame> frames_;
};

}  // namespace corral::runtime::shim_protocol
