// A small leveled logger to stderr. Library code logs at debug only; the top level reports
// each error once.
#pragma once

#include <string>
#include <string_view>

namespace corral::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3, fatal = 4 };

void set_level(Level level);
Level level();
// Parses "debug|info|warn|error|fatal" (dockerd's --log-level words).
bool parse_level(std::string_view text, Level& out);
// Where lines go: stderr by default; init points it at the console and a file.
void set_fd(int fd);

void write(Level level, std::string_view message);
inline void debug(std::string_view message) {
    write(Level::debug, message);
}
inline void info(std::string_view message) {
    write(Level::info, message);
}
inline void warn(std::string_view message) {
    write(Level::warn, message);
}
inline void error(std::string_view message) {
    write(Level::error, message);
}

}  // namespace corral::log
