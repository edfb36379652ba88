#include "base/log.h"

#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>

namespace corral::log {

namespace {

std::atomic<Level> current_level{Level::info};
std::atomic<int> output_fd{STDERR_FILENO};

const char* level_name(Level level) {
    switch (level) {
        case Level::debug:
            return "debug";
        case Level::info:
            return "info";
        case Level::warn:
            return "warning";
        case Level::error:
            return "error";
        case Level::fatal:
            return "fatal";
    }
    return "?";
}

}  // namespace

void set_level(Level level) {
    current_level = level;
}
Level level() {
    return current_level;
}
void set_fd(int fd) {
    output_fd = fd;
}

bool parse_level(std::string_view text, Level& out) {
    static constexpr std::pair<std::string_view, Level> names[] = {
        {"debug", Level::debug},  {"info", Level::info},   {"warn", Level::warn},
        {"warning", Level::warn}, {"error", Level::error}, {"fatal", Level::fatal},
    };
    for (const auto& [name, value] : names) {
        if (name == text) {
            out = value;
            return true;
        }
    }
    return false;
}

void write(Level level, std::string_view message) {
    if (level < current_level.load())
        return;
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    tm parts{};
    ::gmtime_r(&now.tv_sec, &parts);
    char prefix[96];
    int length = std::snprintf(
        prefix, sizeof(prefix), "time=\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\" level=%s msg=\"",
        parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min,
        parts.tm_sec, now.tv_nsec / 1000000, level_name(level));
    std::string line(prefix, static_cast<size_t>(length));
    for (char c : message) {
        if (c == '"' || c == '\\')
            line += '\\';
        if (c == '\n') {
            line += "\\n";
            continue;
        }
        line += c;
    }
    line += "\"\n";
    // One write per line keeps lines whole when several threads log.
    (void)!::write(output_fd.load(), line.data(), line.size());
}

}  // namespace corral::log
