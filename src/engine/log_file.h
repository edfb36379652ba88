// Reading docker's json-file logs, which the shim writes: one JSON object per line,
// {"log":"text\n","stream":"stdout","time":"2006-01-02T15:04:05.999999999Z"}, rotated to
// <path>.1 (newest) ... <path>.N (oldest).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "engine/engine.h"

namespace corral::engine {

struct LogEntry {
    LogStream stream = LogStream::stdout_stream;
    std::string data;
    int64_t time_ns = 0;
};

// One line of the file (without its newline). Lines over 1 MiB are refused.
ErrorOr<LogEntry> parse_log_line(std::string_view line);
// "2006-01-02T15:04:05.000000000Z" (docker's fixed-width RFC 3339 with nanoseconds).
std::string format_timestamp(int64_t time_ns);
// RFC 3339 with optional fraction and a Z or ±hh:mm offset.
ErrorOr<int64_t> parse_timestamp(std::string_view text);

// The files of a log, oldest first: <path>.N ... <path>.1, <path> (those that exist).
std::vector<std::string> log_files(const std::string& path);

// What logs() needs from the engine while following.
struct FollowContext {
    // Is the container still running (so more output may come)?
    std::function<bool()> running;
    // Readable when the container's state changed (a Notifier registration).
    int state_fd = -1;
    Cancellation cancel;
};

// Sends the entries selected by `options` to `sink`; with follow, keeps sending new entries
// until the container stops (and its last output is read) or the call is cancelled.
ErrorOr<void> read_logs(const std::string& path, const LogOptions& options, const LogSink& sink,
                        const FollowContext& follow);

}  // namespace corral::engine
