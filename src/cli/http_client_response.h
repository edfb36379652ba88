// An incremental HTTP/1.1 response parser: status line, headers, and a body framed by
// Content-Length, chunked transfer coding, or the end of the connection. Bytes can arrive in any
// split; the parser stops at the end of the message, so the bytes after a 101 response (a
// hijacked stream) stay with the caller.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace corral::cli::http {

struct Header {
    std::string name;
    std::string value;
};

// Header fields in arrival order; look-ups ignore the case of names.
class Headers {
  public:
    void add(std::string name, std::string value);
    std::optional<std::string_view> get(std::string_view name) const;
    const std::vector<Header>& all() const { return fields_; }

  private:
    std::vector<Header> fields_;
};

struct ResponseHead {
    int status = 0;
    std::string reason;
    Headers headers;
};

// What a peer may make us hold in memory.
struct ParserLimits {
    size_t max_head_bytes = 64 * 1024;  // status line and headers together
    size_t max_header_count = 128;
    size_t max_chunk_line_bytes = 1024;  // "1a2b;ext=..." line of one chunk
    uint64_t max_chunk_size = uint64_t{1} << 40;
};

class ResponseParser {
  public:
    explicit ResponseParser(ParserLimits limits = {}) : limits_(limits) {}

    // The request was HEAD: whatever the headers say, the response has no body.
    void expect_no_body() { no_body_ = true; }

    // Consumes bytes of `data` and appends decoded body bytes to `body`. Returns how many bytes
    // were consumed: fewer than data.size() only when the message ended inside `data`.
    ErrorOr<size_t> feed(std::string_view data, std::string& body);
    // The peer closed the connection: completes a body that runs until the end, or fails when
    // the message was cut short.
    ErrorOr<void> finish();

    bool head_complete() const { return state_ > State::headers; }
    bool message_complete() const { return state_ == State::done; }
    const ResponseHead& head() const { return head_; }
    // The body length the peer announced, when it announced one.
    std::optional<uint64_t> content_length() const { return content_length_; }

  private:
    enum class State {
        status_line,
        headers,
        body_length,
        body_until_close,
        chunk_size,
        chunk_data,
        chunk_data_end,
        trailers,
        done,
    };

    ErrorOr<void> parse_status_line(std::string_view line);
    ErrorOr<void> parse_header_line(std::string_view line);
    ErrorOr<void> begin_body();
    ErrorOr<void> parse_chunk_size(std::string_view line);

    ParserLimits limits_;
    State state_ = State::status_line;
    bool no_body_ = false;
    ResponseHead head_;
    std::string line_;  // a line being assembled across feeds
    size_t head_bytes_ = 0;
    std::optional<uint64_t> content_length_;
    uint64_t remaining_ = 0;  // bytes left of the body or of the current chunk
};

}  // namespace corral::cli::http
