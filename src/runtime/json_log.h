// Docker's json-file log driver format: one JSON object per line,
//   {"log":"text\n","stream":"stdout","time":"2026-01-02T03:04:05.123456789Z"}
// Output is split at newlines; a line longer than 16 KiB is written in 16 KiB pieces without
// the newline (docker's partial messages). Rotation keeps <path>.1 ... <path>.<max_file-1>.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/fd.h"

namespace corral::runtime {

// RFC 3339 with nanoseconds, trailing zeros of the fraction dropped (Go's RFC3339Nano).
std::string format_rfc3339_nano(int64_t unix_ns);

class JsonLogWriter {
  public:
    static constexpr size_t max_line = 16 * 1024;

    // max_size 0 = no rotation; max_file counts the current file.
    static ErrorOr<JsonLogWriter> open(const std::string& path, uint64_t max_size, int max_file);
    JsonLogWriter(JsonLogWriter&&) = default;

    // `stream` is "stdout" or "stderr".
    ErrorOr<void> write(std::string_view stream, std::string_view data, int64_t time_ns);
    // Writes what is left of unfinished lines (at container exit).
    ErrorOr<void> flush(int64_t time_ns);

  private:
    JsonLogWriter(std::string path, UniqueFd fd, uint64_t size, uint64_t max_size, int max_file)
        : path_(std::move(path)),
          fd_(std::move(fd)),
          size_(size),
          max_size_(max_size),
          max_file_(max_file) {}
    void append_entry(std::string& out, std::string_view stream, std::string_view text,
                      const std::string& time);
    ErrorOr<void> commit(std::string& out);
    ErrorOr<void> rotate();

    std::string path_;
    UniqueFd fd_;
    uint64_t size_ = 0;
    uint64_t max_size_ = 0;
    int max_file_ = 1;
    std::string partial_stdout_;
    std::string partial_stderr_;
};

}  // namespace corral::runtime
