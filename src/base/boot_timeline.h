// The boot timeline: when each step of boot happened, in seconds since the kernel started
// (CLOCK_BOOTTIME), one "<seconds> <event>" line each in /var/log/boot-timeline. Init starts
// the file; any program of the system (the engine, compose, services) may append an event.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace corral::boot_timeline {

inline constexpr std::string_view kDefaultPath = "/var/log/boot-timeline";

// Seconds since the kernel started, including time suspended.
double now_seconds();

// "12.345 event\n": the line format of the file.
std::string format_line(double seconds, std::string_view event);

// Appends one event at the current time (O_APPEND: concurrent writers do not interleave).
ErrorOr<void> record(std::string_view event, const std::string& path = std::string(kDefaultPath));

// Appends one event that happened at `seconds` (measured earlier, e.g. on another thread).
ErrorOr<void> record_at(double seconds, std::string_view event,
                        const std::string& path = std::string(kDefaultPath));

}  // namespace corral::boot_timeline
