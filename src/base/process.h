// Spawning child processes with explicit fds, environment and namespaces.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/fd.h"

namespace corral {

struct SpawnOptions {
    std::vector<std::string> argv;
    // Replaces the environment when set; inherits it otherwise.
    std::optional<std::vector<std::string>> env;
    // Child fd number ← parent fd. Parent fds not listed are closed in the child (all are
    // O_CLOEXEC). Unlisted 0/1/2 go to /dev/null.
    std::vector<std::pair<int, int>> fds;
    std::string cwd;
    bool new_session = false;  // setsid(): detach from our controlling terminal
    // Looks argv[0] up in PATH when it has no slash.
    bool search_path = true;
    // Runs the program without address space randomization (personality ADDR_NO_RANDOMIZE,
    // which its own children inherit): at the same addresses at every exec.
    bool fixed_addresses = false;
};

// A spawned child. Destroying a Child that was not waited for leaves the process running;
// when the process-wide reaper runs (base/reaper.h), it then drops the child's status. Kill it
// explicitly where leaving it running is wrong.
class Child {
  public:
    Child(pid_t pid, UniqueFd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}
    Child(Child&& other) noexcept;
    Child& operator=(Child&& other) noexcept;
    ~Child();
    pid_t pid() const { return pid_; }
    // Readable once the child has exited; -1 if the kernel could not give one.
    int pidfd() const { return pidfd_.get(); }
    // Blocks until the child exits; returns its exit code (128+N for signal N).
    ErrorOr<int> wait();
    // The exit code if the child has exited, nullopt while it runs.
    ErrorOr<std::optional<int>> try_wait();

  private:
    pid_t pid_;
    UniqueFd pidfd_;
    bool waited_ = false;
};

ErrorOr<Child> spawn(const SpawnOptions& options);

struct RunResult {
    int exit_code = 0;
    std::string out;  // stdout
    std::string err;  // stderr
};
// Runs a command to completion, capturing stdout and stderr (each up to `max_output` bytes),
// with `input` on stdin.
ErrorOr<RunResult> run(const std::vector<std::string>& argv, std::string_view input = {},
                       size_t max_output = 16 << 20);

}  // namespace corral
