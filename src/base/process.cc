#include "base/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "base/reaper.h"
#include "base/sys.h"

extern char** environ;

namespace corral {

Child::Child(Child&& other) noexcept
    : pid_(std::exchange(other.pid_, 0)),
      pidfd_(std::move(other.pidfd_)),
      waited_(std::exchange(other.waited_, false)) {}

Child& Child::operator=(Child&& other) noexcept {
    if (this != &other) {
        if (pid_ > 0 && !waited_)
            reaper::forget(pid_);
        pid_ = std::exchange(other.pid_, 0);
        pidfd_ = std::move(other.pidfd_);
        waited_ = std::exchange(other.waited_, false);
    }
    return *this;
}

Child::~Child() {
    if (pid_ > 0 && !waited_)
        reaper::forget(pid_);
}

ErrorOr<int> Child::wait() {
    auto result = TRY(reaper::wait(pid_, 0));
    waited_ = true;
    return result->exit_code();
}

ErrorOr<std::optional<int>> Child::try_wait() {
    auto result = TRY(reaper::wait(pid_, WNOHANG));
    if (!result)
        return std::optional<int>();
    waited_ = true;
    return std::optional<int>(result->exit_code());
}

namespace {

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
    std::vector<char*> pointers;
    pointers.reserve(strings.size() + 1);
    for (const auto& s : strings)
        pointers.push_back(const_cast<char*>(s.c_str()));
    pointers.push_back(nullptr);
    return pointers;
}

// In the child after fork: only async-signal-safe calls until exec.
[[noreturn]] void exec_child(const SpawnOptions& options, char* const* argv, char* const* envp,
                             int error_pipe) {
    sigset_t empty;
    sigemptyset(&empty);
    sigprocmask(SIG_SETMASK, &empty, nullptr);
    for (int signal_number = 1; signal_number < NSIG; ++signal_number)
        signal(signal_number, SIG_DFL);
    if (options.new_session)
        setsid();
    // Move every source above all targets first, so a target never clobbers a later source.
    int high_water = 3;
    for (const auto& [target, source] : options.fds)
        high_water = std::max({high_water, target + 1, source + 1});
    int moved[64];
    size_t count = std::min<size_t>(options.fds.size(), 64);
    for (size_t i = 0; i < count; ++i) {
        moved[i] = fcntl(options.fds[i].second, F_DUPFD_CLOEXEC, high_water);
        if (moved[i] < 0)
            goto fail;
    }
    for (int standard = 0; standard < 3; ++standard) {
        bool listed = false;
        for (size_t i = 0; i < count; ++i)
            listed = listed || options.fds[i].first == standard;
        if (!listed) {
            int null_fd = open("/dev/null", O_RDWR);
            if (null_fd < 0 || (null_fd != standard && dup2(null_fd, standard) < 0))
                goto fail;
            if (null_fd != standard)
                close(null_fd);
        }
    }
    for (size_t i = 0; i < count; ++i) {
        if (dup2(moved[i], options.fds[i].first) < 0)
            goto fail;
    }
    if (!options.cwd.empty() && chdir(options.cwd.c_str()) < 0)
        goto fail;
    if (options.fixed_addresses) {
        int persona = personality(0xffffffff);  // reads it
        if (persona < 0 || personality(static_cast<unsigned long>(persona) | ADDR_NO_RANDOMIZE) < 0)
            goto fail;
    }
    if (options.search_path && !std::strchr(argv[0], '/'))
        execvpe(argv[0], argv, envp);
    else
        execve(argv[0], argv, envp);
fail:
    int saved = errno;
    (void)!write(error_pipe, &saved, sizeof(saved));
    _exit(127);
}

}  // namespace

ErrorOr<Child> spawn(const SpawnOptions& options) {
    if (options.argv.empty())
        return Error::invalid("spawn: empty command");
    if (options.fds.size() > 64)
        return Error::invalid("spawn: too many file descriptors");
    auto argv = c_strings(options.argv);
    std::vector<char*> envp_storage;
    char* const* envp = environ;
    if (options.env) {
        envp_storage = c_strings(*options.env);
        envp = envp_storage.data();
    }
    auto error_pipe = TRY(sys::pipe());
    auto forked = TRY_CONTEXT(reaper::fork_child(/*open_pidfd=*/true), options.argv[0]);
    if (forked.pid == 0)
        exec_child(options, argv.data(), envp, error_pipe[1].get());
    pid_t pid = forked.pid;
    error_pipe[1].reset();
    int child_errno = 0;
    ssize_t n;
    do {
        n = read(error_pipe[0].get(), &child_errno, sizeof(child_errno));
    } while (n < 0 && errno == EINTR);
    if (n == sizeof(child_errno)) {
        (void)reaper::wait(pid, 0);
        return Error::from_errno("exec", options.argv[0], child_errno);
    }
    return Child(pid, std::move(forked.pidfd));
}

ErrorOr<RunResult> run(const std::vector<std::string>& argv, std::string_view input,
                       size_t max_output) {
    auto in_pipe = TRY(sys::pipe());
    auto out_pipe = TRY(sys::pipe());
    auto err_pipe = TRY(sys::pipe());
    SpawnOptions options;
    options.argv = argv;
    options.fds = {{0, in_pipe[0].get()}, {1, out_pipe[1].get()}, {2, err_pipe[1].get()}};
    Child child = TRY(spawn(options));
    in_pipe[0].reset();
    out_pipe[1].reset();
    err_pipe[1].reset();
    if (input.empty())
        in_pipe[1].reset();
    fcntl(in_pipe[1].get(), F_SETFL, O_NONBLOCK);

    RunResult result;
    std::string* sinks[2] = {&result.out, &result.err};
    UniqueFd* sources[2] = {&out_pipe[0], &err_pipe[0]};
    char buffer[65536];
    while (out_pipe[0] || err_pipe[0] || in_pipe[1]) {
        pollfd fds[3];
        int count = 0;
        int which[3];
        for (int i = 0; i < 2; ++i) {
            if (*sources[i]) {
                fds[count] = {sources[i]->get(), POLLIN, 0};
                which[count++] = i;
            }
        }
        if (in_pipe[1]) {
            fds[count] = {in_pipe[1].get(), POLLOUT, 0};
            which[count++] = 2;
        }
        if (poll(fds, static_cast<nfds_t>(count), -1) < 0) {
            if (errno == EINTR)
                continue;
            return Error::from_errno("poll", argv[0], errno);
        }
        for (int k = 0; k < count; ++k) {
            if (!fds[k].revents)
                continue;
            if (which[k] == 2) {
                ssize_t n = write(in_pipe[1].get(), input.data(), input.size());
                if (n > 0)
                    input.remove_prefix(static_cast<size_t>(n));
                if (input.empty() || (n < 0 && errno != EAGAIN && errno != EINTR))
                    in_pipe[1].reset();
                continue;
            }
            ssize_t n = read(fds[k].fd, buffer, sizeof(buffer));
            if (n <= 0) {
                if (n < 0 && (errno == EINTR || errno == EAGAIN))
                    continue;
                sources[which[k]]->reset();
                continue;
            }
            std::string& sink = *sinks[which[k]];
            size_t room = max_output > sink.size() ? max_output - sink.size() : 0;
            sink.append(buffer, std::min(room, static_cast<size_t>(n)));
        }
    }
    result.exit_code = TRY(child.wait());
    return result;
}

}  // namespace corral
