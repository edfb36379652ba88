// Moving bytes between the terminal and a container: raw terminal mode (restored by RAII),
// copying stdin into a hijacked connection and its output to stdout/stderr (demultiplexed when
// there is no TTY), and streamed log bodies.
#pragma once

#include <termios.h>

#include <functional>
#include <optional>

#include "base/error.h"
#include "cli/http_client.h"
#include "cli/system_docker_template.h"

namespace corral::cli {

// Puts a terminal in raw mode while the object lives.
class RawTerminal {
  public:
    static ErrorOr<RawTerminal> enable(int fd);
    RawTerminal(RawTerminal&& other) noexcept;
    RawTerminal& operator=(RawTerminal&&) = delete;
    RawTerminal(const RawTerminal&) = delete;
    ~RawTerminal();

  private:
    RawTerminal(int fd, const termios& saved) : fd_(fd), saved_(saved) {}
    int fd_ = -1;
    termios saved_{};
};

struct TerminalSize {
    unsigned rows = 0;
    unsigned columns = 0;
};
std::optional<TerminalSize> terminal_size(int fd);

struct PumpOptions {
    bool tty = false;         // the stream is raw; otherwise it is multiplexed
    bool send_stdin = false;  // copy our stdin into the stream, then half-close
    // Called on SIGWINCH (only when tty).
    std::function<void()> on_resize;
    // Called with SIGINT/SIGTERM/SIGHUP/SIGQUIT/SIGUSR1/SIGUSR2 when set (signal proxy).
    std::function<void(int)> on_signal;
};

// Copies between our stdin/stdout/stderr and the hijacked connection until the daemon closes
// the stream.
ErrorOr<void> pump_hijacked(http::Connection& connection, const PumpOptions& options);

// Copies a streamed response body (logs) to stdout/stderr, demultiplexing unless `tty`.
ErrorOr<void> copy_body_to_output(http::Connection& connection, bool tty);

// Reads a body of concatenated JSON values (pull/load/import progress, events) to its end and
// hands each value to `handle` as it completes; a value that does not parse fails with
// "malformed <what> from the daemon". An error from `handle` stops the reading.
ErrorOr<void> for_each_json_value(http::Connection& connection, std::string_view what,
                                  const std::function<ErrorOr<void>(const Json&)>& handle);

}  // namespace corral::cli
