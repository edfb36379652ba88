#include "engine/log_file.h"

#include <fcntl.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <ctime>
#include <deque>
#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "base/sys.h"
#include "engine/notifier.h"

namespace corral::engine {

namespace {

constexpr size_t max_line = 1 << 20;

bool digits(std::string_view text, size_t position, size_t count, int& out) {
    if (position + count > text.size())
        return false;
    out = 0;
    for (size_t i = position; i < position + count; ++i) {
        if (text[i] < '0' || text[i] > '9')
            return false;
        out = out * 10 + (text[i] - '0');
    }
    return true;
}

}  // namespace

std::string format_timestamp(int64_t time_ns) {
    time_t seconds = static_cast<time_t>(time_ns / 1'000'000'000);
    int64_t nanos = time_ns % 1'000'000'000;
    if (nanos < 0) {
        nanos += 1'000'000'000;
        --seconds;
    }
    struct tm parts {};
    ::gmtime_r(&seconds, &parts);
    char buffer[64];
    std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ",
                  parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour,
                  parts.tm_min, parts.tm_sec, static_cast<long long>(nanos));
    return buffer;
}

ErrorOr<int64_t> parse_timestamp(std::string_view text) {
    auto bad = [&] { return Error::invalid("bad timestamp: " + std::string(text.substr(0, 64))); };
    int year, month, day, hour, minute, second;
    if (!digits(text, 0, 4, year) || text.size() < 19 || text[4] != '-' ||
        !digits(text, 5, 2, month) || text[7] != '-' || !digits(text, 8, 2, day) ||
        (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !digits(text, 11, 2, hour) ||
        text[13] != ':' || !digits(text, 14, 2, minute) || text[16] != ':' ||
        !digits(text, 17, 2, second))
        return bad();
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
        return bad();
    size_t position = 19;
    int64_t nanos = 0;
    if (position < text.size() && text[position] == '.') {
        ++position;
        int64_t scale = 100'000'000;
        size_t start = position;
        while (position < text.size() && text[position] >= '0' && text[position] <= '9') {
            nanos += (text[position] - '0') * scale;
            scale /= 10;
            ++position;
        }
        if (position == start || position - start > 9)
            return bad();
    }
    int64_t offset_seconds = 0;
    if (position < text.size() && (text[position] == 'Z' || text[position] == 'z')) {
        ++position;
    } else if (position < text.size() && (text[position] == '+' || text[position] == '-')) {
        int offset_hours, offset_minutes;
        if (!digits(text, position + 1, 2, offset_hours) || position + 3 >= text.size() ||
            text[position + 3] != ':' || !digits(text, position + 4, 2, offset_minutes))
            return bad();
        offset_seconds =
            (offset_hours * 3600 + offset_minutes * 60) * (text[position] == '+' ? 1 : -1);
        position += 6;
    } else {
        return bad();
    }
    if (position != text.size())
        return bad();
    struct tm parts {};
    parts.tm_year = year - 1900;
    parts.tm_mon = month - 1;
    parts.tm_mday = day;
    parts.tm_hour = hour;
    parts.tm_min = minute;
    parts.tm_sec = second;
    int64_t seconds = static_cast<int64_t>(::timegm(&parts)) - offset_seconds;
    return seconds * 1'000'000'000 + nanos;
}

ErrorOr<LogEntry> parse_log_line(std::string_view line) {
    if (line.size() > max_line)
        return Error(ErrorKind::too_large, "log line too long");
    auto document = nlohmann::json::parse(line, nullptr, false);
    if (document.is_discarded() || !document.is_object())
        return Error::invalid("log line: not a JSON object");
    LogEntry entry;
    auto log = document.find("log");
    auto stream = document.find("stream");
    auto time = document.find("time");
    if (log == document.end() || !log->is_string())
        return Error::invalid("log line: no \"log\" string");
    entry.data = log->get<std::string>();
    if (stream != document.end() && stream->is_string()) {
        auto name = stream->get<std::string>();
        if (name == "stderr")
            entry.stream = LogStream::stderr_stream;
        else if (name == "stdin")
            entry.stream = LogStream::stdin_stream;
    }
    if (time != document.end() && time->is_string())
        entry.time_ns = TRY(parse_timestamp(time->get<std::string>()));
    return entry;
}

std::vector<std::string> log_files(const std::string& path) {
    std::vector<std::string> files;
    for (int index = 1; index < 1000; ++index) {
        std::string rotated = path + "." + std::to_string(index);
        if (::access(rotated.c_str(), F_OK) != 0)
            break;
        files.insert(files.begin(), rotated);
    }
    if (::access(path.c_str(), F_OK) == 0)
        files.push_back(path);
    return files;
}

namespace {

// Delivers entries that pass the options' stream and time filters.
class Selector {
  public:
    Selector(const LogOptions& options, const LogSink& sink) : options_(options), sink_(sink) {}

    bool wanted(const LogEntry& entry) const {
        if (entry.stream == LogStream::stdout_stream && !options_.stdout_stream)
            return false;
        if (entry.stream == LogStream::stderr_stream && !options_.stderr_stream)
            return false;
        if (entry.stream == LogStream::stdin_stream)
            return false;
        if (options_.since_ns && entry.time_ns < options_.since_ns)
            return false;
        return true;
    }
    bool past_until(const LogEntry& entry) const {
        return options_.until_ns && entry.time_ns > options_.until_ns;
    }
    ErrorOr<void> send(const LogEntry& entry) {
        if (options_.timestamps)
            return sink_(entry.stream, format_timestamp(entry.time_ns) + " " + entry.data);
        return sink_(entry.stream, entry.data);
    }

  private:
    const LogOptions& options_;
    const LogSink& sink_;
};

// Reads whole lines from an fd, keeping a partial last line for later.
class LineReader {
  public:
    explicit LineReader(UniqueFd fd) : fd_(std::move(fd)) {}
    // Calls f(line) for each complete line available now.
    template <typename F>
    ErrorOr<void> drain(F&& f) {
        char buffer[65536];
        for (;;) {
            size_t n = TRY(sys::read(fd_.get(), buffer));
            if (n == 0)
                return {};
            partial_.append(buffer, n);
            size_t start = 0;
            for (;;) {
                size_t newline = partial_.find('\n', start);
                if (newline == std::string::npos)
                    break;
                TRY(f(std::string_view(partial_).substr(start, newline - start)));
                start = newline + 1;
            }
            partial_.erase(0, start);
            if (partial_.size() > max_line)
                partial_.clear();  // a corrupt file: skip the monster line
        }
    }
    int fd() const { return fd_.get(); }

  private:
    UniqueFd fd_;
    std::string partial_;
};

}  // namespace

ErrorOr<void> read_logs(const std::string& path, const LogOptions& options, const LogSink& sink,
                        const FollowContext& follow) {
    Selector selector(options, sink);
    bool until_reached = false;
    std::deque<LogEntry> tail;
    auto handle = [&](std::string_view line) -> ErrorOr<void> {
        if (until_reached || line.empty())
            return {};
        auto entry = parse_log_line(line);
        if (!entry)
            return {};  // a torn or foreign line: skip it, as docker does
        if (selector.past_until(*entry)) {
            until_reached = true;
            return {};
        }
        if (!selector.wanted(*entry))
            return {};
        if (options.tail >= 0) {
            if (options.tail == 0)
                return {};
            tail.push_back(std::move(*entry));
            if (static_cast<int64_t>(tail.size()) > options.tail)
                tail.pop_front();
            return {};
        }
        return selector.send(*entry);
    };

    // With follow, watch before reading so that no write between the two is missed.
    UniqueFd inotify;
    if (options.follow) {
        int fd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (fd < 0)
            return Error::from_errno("inotify_init1", errno);
        inotify.reset(fd);
        std::string directory = fs::dirname(path);
        if (::inotify_add_watch(inotify.get(), directory.c_str(),
                                IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM) < 0)
            return Error::from_errno("inotify_add_watch", directory, errno);
    }

    auto files = log_files(path);
    std::optional<LineReader> current;
    for (size_t i = 0; i < files.size(); ++i) {
        auto fd = sys::open(files[i], O_RDONLY);
        if (!fd)
            continue;  // rotated away meanwhile
        LineReader reader(std::move(fd).release_value());
        TRY(reader.drain(handle));
        if (files[i] == path)
            current.emplace(std::move(reader));
    }
    for (const auto& entry : tail)
        TRY(selector.send(entry));
    if (!options.follow || until_reached)
        return {};

    // From here on every new line goes out at once.
    auto live = [&](std::string_view line) -> ErrorOr<void> {
        if (until_reached || line.empty())
            return {};
        auto entry = parse_log_line(line);
        if (!entry)
            return {};
        if (selector.past_until(*entry)) {
            until_reached = true;
            return {};
        }
        if (!selector.wanted(*entry))
            return {};
        return selector.send(*entry);
    };
    for (;;) {
        // Check "running" before draining: output written before the exit is in the file by
        // the time the engine sees the exit, so one more drain after that gets all of it.
        bool running = follow.running ? follow.running() : false;
        if (current)
            TRY(current->drain(live));
        // The file may have been rotated (renamed to .1, a new one created): finish the old
        // fd, then continue with the new file.
        struct stat by_path {};
        struct stat by_fd {};
        if (::stat(path.c_str(), &by_path) == 0 &&
            (!current || (::fstat(current->fd(), &by_fd) == 0 &&
                          (by_fd.st_ino != by_path.st_ino || by_fd.st_dev != by_path.st_dev)))) {
            auto fd = sys::open(path, O_RDONLY);
            if (fd) {
                if (current)
                    TRY(current->drain(live));
                current.emplace(std::move(fd).release_value());
                continue;
            }
        }
        if (!running || until_reached)
            return {};
        int64_t timeout_ns = -1;
        if (options.until_ns) {
            timeout_ns = options.until_ns - sys::realtime_ns();
            if (timeout_ns <= 0)
                return {};
        }
        auto reason = TRY(sleep_on(follow.state_fd, follow.cancel, timeout_ns, inotify.get()));
        if (reason == WakeReason::cancelled)
            return cancelled_error();
        char events[4096];
        while (::read(inotify.get(), events, sizeof(events)) > 0) {
        }
    }
}

}  // namespace corral::engine
