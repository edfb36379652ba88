// The system console: where init writes what a person at the machine must see, and where the
// recovery shell runs.
#pragma once

#include <sys/types.h>

#include <string_view>

#include "base/error.h"
#include "base/process.h"

namespace corral::init {

// Opens /dev/console as init's stdin, stdout and stderr (the kernel may have started us
// without them) and sends the log there.
void attach_console();

// Writes one line to the console, prefixed "corral: ".
void console_line(std::string_view message);

// Waits, at most `timeout_ms`, until what was written to the terminal `fd` has gone out. A
// hang-up of the terminal (its session leader, the console shell, exiting) discards output
// still queued in the serial driver, so the shutdown drains its lines before it ends the
// processes and before it powers off.
void drain_terminal(int fd, int timeout_ms);
// How long the shutdown waits for that at most: a serial console at 115200 baud sends its
// driver's 4 KiB buffer in ~0.36 s.
inline constexpr int kConsoleDrainMs = 1000;

// Starts a shell on the console (busybox's cttyhack gives it the console as its controlling
// terminal, for job control and ^C).
ErrorOr<Child> start_console_shell();

}  // namespace corral::init
