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

// Starts a shell on the console (busybox's cttyhack gives it the console as its controlling
// terminal, for job control and ^C).
ErrorOr<Child> start_console_shell();

}  // namespace corral::init
