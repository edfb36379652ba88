#include "base/boot_timeline.h"

#include <fcntl.h>
#include <time.h>

#include <cstdio>

#include "base/sys.h"

namespace corral::boot_timeline {

double now_seconds() {
    timespec now{};
    ::clock_gettime(CLOCK_BOOTTIME, &now);
    return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

std::string format_line(double seconds, std::string_view event) {
    char number[32];
    std::snprintf(number, sizeof(number), "%.3f ", seconds);
    std::string line = number;
    line.append(event);
    line.push_back('\n');
    return line;
}

ErrorOr<void> record(std::string_view event, const std::string& path) {
    return record_at(now_seconds(), event, path);
}

ErrorOr<void> record_at(double seconds, std::string_view event, const std::string& path) {
    auto fd = TRY(sys::open(path, O_WRONLY | O_APPEND | O_CREAT, 0644));
    return sys::write_all(fd.get(), format_line(seconds, event));
}

}  // namespace corral::boot_timeline
