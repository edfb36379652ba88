// The shim's life: readiness, `crun run` on start, the attach/log event loop, the exit record.
#include "runtime/shim.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <list>
#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "base/process.h"
#include "base/sys.h"
#include "runtime/console.h"
#include "runtime/crun.h"
#include "runtime/files.h"
#include "runtime/json_log.h"
#include "runtime/shim_launch.h"
#include "runtime/shim_protocol.h"

namespace corral::runtime {

namespace protocol = shim_protocol;

uint64_t process_start_time(pid_t pid) {
    auto stat = fs::read_file("/proc/" + std::to_string(pid) + "/stat", 4096);
    if (!stat)
        return 0;
    // The command name may hold spaces and parentheses: fields count from the last ')'.
    size_t close = stat->rfind(')');
    if (close == std::string::npos)
        return 0;
    std::string_view rest = std::string_view(*stat).substr(close + 1);
    // After ')' come fields 3 (state) ... 22 (starttime): skip 19 separators.
    int field = 2;
    size_t position = 0;
    while (field < 22 && position < rest.size()) {
        position = rest.find(' ', position);
        if (position == std::string_view::npos)
            return 0;
        ++position;
        ++field;
    }
    return std::strtoull(
        std::string(rest.substr(position, rest.find(' ', position) - position)).c_str(), nullptr,
        10);
}

namespace {

constexpr size_t client_buffer_limit = 1 << 20;  // pause container output above this
constexpr size_t stdin_buffer_limit = 1 << 20;   // stop reading clients above this
constexpr int64_t final_flush_timeout_ms = 10000;

struct Client {
    UniqueFd fd;
    uint8_t flags = 0;
    bool input_closed = false;
    protocol::FrameDecoder decoder;
    std::string out;
};

void set_nonblocking(int fd) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0)
        ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

class Shim {
  public:
    explicit Shim(const ShimArguments& arguments)
        : runtime_(arguments.runtime), options_(arguments.shim), ready_fd_(arguments.ready_fd) {}

    int run() {
        auto ready = prepare();
        if (ready && options_.start_immediately)
            ready = launch();
        if (!ready) {
            // Clean up first: when the engine hears the error, nothing of this try is left.
            listener_.reset();
            ::unlink("attach.sock");
            (void)delete_container(runtime_, options_.id);
            (void)unmount_rootfs(options_.container_dir);
            report_ready("error " + ready.error().message());
            return 1;
        }
        report_ready("ready " + std::to_string(::getpid()), true);
        loop();
        wait_for_spawner();
        return 0;
    }

  private:
    void report_ready(const std::string& line, bool keep_open = false) {
        if (ready_fd_ < 0)
            return;
        (void)sys::write_all(ready_fd_, line + "\n");
        if (!keep_open) {
            ::close(ready_fd_);
            ready_fd_ = -1;
        }
    }

    // The engine closes its end of the readiness pipe once it holds our pidfd; a shim whose
    // container ended at once must not be gone before that (its pid would be unknowable).
    void wait_for_spawner() {
        if (ready_fd_ < 0)
            return;
        pollfd descriptor{ready_fd_, 0, 0};
        (void)::poll(&descriptor, 1, 5000);  // POLLERR once no reader is left
        ::close(ready_fd_);
        ready_fd_ = -1;
    }

    // Everything up to the container itself: the log, the attach socket, the stdio pipes and
    // shim.json (container pid 0 until launch). Attach clients connect after this and before
    // the start, so they see every byte the container writes.
    ErrorOr<void> prepare() {
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        ::sigprocmask(SIG_BLOCK, &mask, nullptr);
        signal_fd_.reset(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
        if (!signal_fd_)
            return Error::from_errno("signalfd", errno);

        if (options_.log_config.type != "none" && !options_.log_path.empty()) {
            log_.emplace(TRY(JsonLogWriter::open(options_.log_path, options_.log_config.max_size,
                                                 options_.log_config.max_file)));
        }
        listener_ = TRY(sys::unix_listen("attach.sock", 0600));
        set_nonblocking(listener_.get());
        if (!options_.tty) {
            // The shim reads the other ends from now on; they see end of file once the
            // container (the only writer after launch) is gone.
            auto out = TRY(sys::pipe());
            auto err = TRY(sys::pipe());
            stdout_ = std::move(out[0]);
            child_stdout_ = std::move(out[1]);
            stderr_ = std::move(err[0]);
            child_stderr_ = std::move(err[1]);
            set_nonblocking(stdout_.get());
            set_nonblocking(stderr_.get());
            if (options_.open_stdin) {
                auto in = TRY(sys::pipe());
                child_stdin_ = std::move(in[0]);
                stdin_ = std::move(in[1]);
                set_nonblocking(stdin_.get());
            }
        }
        return write_state();
    }

    ErrorOr<void> write_state() {
        nlohmann::json state = {
            {"shim_pid", ::getpid()},
            {"shim_start_time", process_start_time(::getpid())},
            {"container_pid", container_pid_},
            {"container_start_time", container_pid_ ? process_start_time(container_pid_) : 0}};
        return write_file_replace(shim_state_file, state.dump());
    }

    // One `crun run --detach`; the container becomes our child (we are its subreaper).
    ErrorOr<void> launch() {
        started_ = true;
        LaunchStdio stdio{child_stdin_.get(), child_stdout_.get(), child_stderr_.get(),
                          stderr_.get()};
        auto launched = launch_container(runtime_, options_, stdio);
        child_stdin_.reset();
        child_stdout_.reset();
        child_stderr_.reset();
        if (!launched)
            return launched.release_error();
        if (options_.tty) {
            stdout_ = std::move(launched->pty_master);
            set_nonblocking(stdout_.get());
            stdout_fd_is_pty_ = true;
            flush_stdin();
        }
        container_pid_ = launched->pid;
        // The container may already have ended. Once fully gone without us collecting it,
        // someone else took its status: record that rather than wait forever. (A zombie, ours
        // or not yet re-parented to us, still has a pidfd.)
        auto container_pidfd = sys::pidfd_open(container_pid_);
        if (!container_pidfd && container_pidfd.error().errno_value() == ESRCH) {
            exited_ = true;
            exit_code_ = 255;
            start_error_ = "the container's exit status was lost";
        }
        return write_state();
    }

    bool stdin_open() const {
        return stdout_fd_is_pty_ ? static_cast<bool>(stdout_) : static_cast<bool>(stdin_);
    }
    int stdin_target() const { return stdout_fd_is_pty_ ? stdout_.get() : stdin_.get(); }

    bool output_paused() const {
        for (const auto& client : clients_)
            if (client.out.size() > client_buffer_limit)
                return true;
        return false;
    }

    void broadcast(char type, std::string_view data) {
        uint8_t wanted = type == protocol::type::stderr_data ? protocol::hello_flag::stderr_stream
                                                             : protocol::hello_flag::stdout_stream;
        std::string frame;
        for (auto& client : clients_) {
            if (!(client.flags & wanted))
                continue;
            if (frame.empty())
                frame = protocol::encode(type, data);
            client.out += frame;
        }
    }

    // Reads once from a container output; false at end of file.
    bool read_output(UniqueFd& fd, bool is_stderr) {
        char buffer[65536];
        ssize_t n;
        do {
            n = ::read(fd.get(), buffer, sizeof(buffer));
        } while (n < 0 && errno == EINTR);
        if (n < 0 && errno == EAGAIN)
            return true;
        if (n <= 0) {  // EOF, or EIO from a pty whose last slave closed
            if (&fd == &stdout_ && stdout_fd_is_pty_) {
                // The pty also carries stdin: keep the fd until the container exits, but stop
                // reading it.
                pty_eof_ = true;
                return false;
            }
            fd.reset();
            return false;
        }
        std::string_view data(buffer, static_cast<size_t>(n));
        if (log_)
            (void)log_->write(is_stderr ? "stderr" : "stdout", data, sys::realtime_ns());
        broadcast(is_stderr ? protocol::type::stderr_data : protocol::type::stdout_data, data);
        return true;
    }

    void drain_outputs() {
        // After the container's init exited every writer in its pid namespace is gone, so the
        // pipes hold all that is left; with the host's pid namespace, stop at what is there.
        for (int round = 0; round < 4096; ++round) {
            bool more = false;
            if (stdout_ && !pty_eof_)
                more |= read_output_until_empty(stdout_, false);
            if (stderr_)
                more |= read_output_until_empty(stderr_, true);
            if (!more)
                break;
        }
    }

    bool read_output_until_empty(UniqueFd& fd, bool is_stderr) {
        pollfd check{fd.get(), POLLIN, 0};
        if (::poll(&check, 1, 0) <= 0 || !(check.revents & (POLLIN | POLLHUP | POLLERR)))
            return false;
        return read_output(fd, is_stderr) && fd;
    }

    void close_stdin() {
        stdin_close_requested_ = true;
        if (stdin_buffer_.empty() && !stdout_fd_is_pty_)
            stdin_.reset();
    }

    void flush_stdin() {
        if (stdin_buffer_.empty() || !stdin_open())
            return;
        ssize_t n = ::write(stdin_target(), stdin_buffer_.data(), stdin_buffer_.size());
        if (n > 0) {
            stdin_buffer_.erase(0, static_cast<size_t>(n));
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            stdin_buffer_.clear();  // the container closed its stdin
            if (!stdout_fd_is_pty_)
                stdin_.reset();
        }
        if (stdin_buffer_.empty() && stdin_close_requested_ && !stdout_fd_is_pty_)
            stdin_.reset();
    }

    std::string start() {
        if (started_)
            return "";
        auto launched = launch();
        if (!launched) {
            // Nothing runs: the failure is this container's exit (the engine records 128 too).
            start_error_ = launched.error().message();
            if (!container_pid_) {
                exited_ = true;
                exit_code_ = 128;
            } else {
                (void)::kill(container_pid_, SIGKILL);
            }
            return start_error_;
        }
        return "";
    }

    void handle_frame(Client& client, protocol::Frame& frame) {
        switch (frame.type) {
            case protocol::type::hello:
                client.flags = frame.payload.empty() ? 0 : static_cast<uint8_t>(frame.payload[0]);
                break;
            case protocol::type::stdin_data:
                // Before a tty container starts its pty does not exist yet: keep the input.
                if ((stdin_open() || (options_.tty && !started_)) && !stdin_close_requested_)
                    stdin_buffer_ += frame.payload;
                flush_stdin();
                break;
            case protocol::type::close_stdin:
                close_stdin();
                break;
            case protocol::type::resize:
                if (auto size = protocol::decode_resize(frame.payload); size) {
                    if (stdout_fd_is_pty_ && stdout_) {
                        (void)resize_pty(stdout_.get(), size->first, size->second);
                    } else if (!started_) {
                        // No pty before the start: the launch gives it this size.
                        options_.rows = size->first;
                        options_.columns = size->second;
                    }
                }
                break;
            case protocol::type::start:
                client.out += protocol::encode(protocol::type::start_result, start());
                // Answered now: a container that ended at once is handled after, and the
                // engine's start waits for this answer alone.
                (void)write_client(client);
                break;
            default:
                break;
        }
    }

    // false: drop the client.
    bool read_client(Client& client) {
        char buffer[65536];
        ssize_t n;
        do {
            n = ::read(client.fd.get(), buffer, sizeof(buffer));
        } while (n < 0 && errno == EINTR);
        if (n < 0 && errno == EAGAIN)
            return true;
        if (n <= 0) {
            client.input_closed = true;
            if (options_.stdin_once && (client.flags & protocol::hello_flag::stdin_stream))
                close_stdin();
            return n == 0;
        }
        if (!client.decoder.feed(std::string_view(buffer, static_cast<size_t>(n))))
            return false;
        while (auto frame = client.decoder.next())
            handle_frame(client, *frame);
        return true;
    }

    bool write_client(Client& client) {
        ssize_t n = ::send(client.fd.get(), client.out.data(), client.out.size(),
                           MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0)
            return errno == EAGAIN || errno == EINTR;
        client.out.erase(0, static_cast<size_t>(n));
        return true;
    }

    void reap() {
        signalfd_siginfo info;
        while (::read(signal_fd_.get(), &info, sizeof(info)) > 0) {
        }
        for (;;) {
            int status = 0;
            pid_t pid = ::waitpid(-1, &status, WNOHANG);
            if (pid <= 0)
                break;
            if (pid == container_pid_) {
                exited_ = true;
                exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            }
        }
    }

    bool oom_killed() {
        auto events =
            fs::read_file(fs::join(cgroup_dir(runtime_, options_.id), "memory.events"), 4096);
        if (!events)
            return false;
        size_t position = events->find("oom_kill ");
        return position != std::string::npos && std::atoll(events->c_str() + position + 9) > 0;
    }

    // The container has exited: its output, the exit status for the engine and the attached
    // clients, then the clean-up. The engine hears "exited" on the readiness pipe before the
    // clean-up, so a waiter is answered without waiting for the unmount; the engine does not
    // touch the container's runtime state (the rootfs, crun's state, its exec-root dir) again
    // before this process is gone (its pidfd).
    void finish() {
        finished_ = true;
        drain_outputs();
        int64_t now = sys::realtime_ns();
        if (log_)
            (void)log_->flush(now);
        bool oom = oom_killed();
        nlohmann::json status = {{"exit_code", exit_code_},
                                 {"oom_killed", oom},
                                 {"finished_at_ns", now},
                                 {"error", start_error_}};
        (void)write_file_replace(exit_status_file, status.dump());
        listener_.reset();
        ::unlink("attach.sock");
        std::string frame = protocol::encode_exit(exit_code_, oom);
        for (auto& client : clients_) {
            client.out += frame;
            (void)write_client(client);  // the rest, if any, from the loop
        }
        report_exit();
        stdout_.reset();
        stderr_.reset();
        stdin_.reset();
        (void)delete_container(runtime_, options_.id);
        (void)unmount_rootfs(options_.container_dir);
        finish_deadline_ = sys::monotonic_ns() + final_flush_timeout_ms * 1000000;
    }

    // "exited" on the readiness pipe (the engine that spawned us may be gone: EPIPE, ignored).
    void report_exit() {
        if (ready_fd_ >= 0)
            (void)sys::write_all(ready_fd_, std::string(shim_exited_line) + "\n");
    }

    void loop() {
        for (;;) {
            if (exited_ && !finished_)
                finish();
            if (finished_) {
                bool pending = false;
                for (const auto& client : clients_)
                    pending |= !client.out.empty();
                if (!pending || sys::monotonic_ns() >= finish_deadline_)
                    return;
            }
            std::vector<pollfd> fds;
            enum class Role { listener, signal, output, error_output, stdin_pipe, client };
            std::vector<std::pair<Role, Client*>> roles;
            auto add = [&](int fd, short events, Role role, Client* client = nullptr) {
                fds.push_back({fd, events, 0});
                roles.push_back({role, client});
            };
            add(signal_fd_.get(), POLLIN, Role::signal);
            if (listener_)
                add(listener_.get(), POLLIN, Role::listener);
            bool paused = output_paused();
            // A pty whose slaves are all closed reports POLLHUP forever: leave it out then.
            if (stdout_ && !pty_eof_) {
                short events = 0;
                if (!paused)
                    events |= POLLIN;
                if (stdout_fd_is_pty_ && !stdin_buffer_.empty())
                    events |= POLLOUT;
                add(stdout_.get(), events, Role::output);
            }
            if (stderr_ && !paused)
                add(stderr_.get(), POLLIN, Role::error_output);
            if (stdin_ && !stdin_buffer_.empty())
                add(stdin_.get(), POLLOUT, Role::stdin_pipe);
            for (auto& client : clients_) {
                short events = 0;
                if (!client.input_closed && stdin_buffer_.size() < stdin_buffer_limit)
                    events |= POLLIN;
                if (!client.out.empty())
                    events |= POLLOUT;
                add(client.fd.get(), events, Role::client, &client);
            }
            int timeout = -1;
            if (finished_)
                timeout = static_cast<int>(
                    std::max<int64_t>(0, (finish_deadline_ - sys::monotonic_ns()) / 1000000));
            int ready = ::poll(fds.data(), fds.size(), timeout);
            if (ready < 0 && errno != EINTR)
                return;
            if (ready <= 0)
                continue;
            std::vector<Client*> dropped;
            for (size_t i = 0; i < fds.size(); ++i) {
                short revents = fds[i].revents;
                if (!revents)
                    continue;
                auto [role, client] = roles[i];
                switch (role) {
                    case Role::signal:
                        reap();
                        break;
                    case Role::listener:
                        accept_clients();
                        break;
                    case Role::output:
                        if (revents & POLLOUT)
                            flush_stdin();
                        if (revents & (POLLIN | POLLHUP | POLLERR) && stdout_ && !pty_eof_)
                            read_output(stdout_, false);
                        break;
                    case Role::error_output:
                        if (stderr_)
                            read_output(stderr_, true);
                        break;
                    case Role::stdin_pipe:
                        flush_stdin();
                        break;
                    case Role::client: {
                        bool keep = true;
                        if (revents & POLLOUT)
                            keep = write_client(*client);
                        if (keep && (revents & (POLLIN | POLLHUP | POLLERR)) &&
                            !client->input_closed)
                            keep = read_client(*client);
                        else if (keep && (revents & (POLLHUP | POLLERR)) && client->out.empty())
                            keep = false;
                        if (!keep || ((revents & POLLERR) && client->input_closed))
                            dropped.push_back(client);
                        break;
                    }
                }
            }
            for (Client* client : dropped) {
                if (options_.stdin_once && (client->flags & protocol::hello_flag::stdin_stream) &&
                    !client->input_closed)
                    close_stdin();
                clients_.remove_if([&](const Client& candidate) { return &candidate == client; });
            }
        }
    }

    void accept_clients() {
        for (;;) {
            int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
            if (fd < 0)
                return;
            clients_.emplace_back();
            clients_.back().fd.reset(fd);
        }
    }

    RuntimeOptions runtime_;
    ShimOptions options_;
    int ready_fd_;
    UniqueFd signal_fd_;
    UniqueFd listener_;
    UniqueFd child_stdin_;  // the container's ends of its stdio pipes, until launch
    UniqueFd child_stdout_;
    UniqueFd child_stderr_;
    UniqueFd stdout_;  // the pty master in tty mode
    UniqueFd stderr_;
    UniqueFd stdin_;
    bool stdout_fd_is_pty_ = false;
    bool pty_eof_ = false;
    std::string stdin_buffer_;
    bool stdin_close_requested_ = false;
    std::optional<JsonLogWriter> log_;
    std::list<Client> clients_;
    pid_t container_pid_ = 0;
    bool started_ = false;
    std::string start_error_;
    bool exited_ = false;
    bool finished_ = false;
    int exit_code_ = 0;
    int64_t finish_deadline_ = 0;
};

}  // namespace

int run_shim(const ShimArguments& arguments) {
    // Leave the engine's process tree: the intermediate process exits at once, so the shim
    // is re-parented to init (or the nearest subreaper) and survives the engine.
    pid_t pid = ::fork();
    if (pid < 0)
        return 1;
    if (pid > 0)
        ::_exit(0);
    return run_forked_shim(arguments);
}

int run_forked_shim(const ShimArguments& arguments) {
    // The container is our child, and so is every orphan of its pid namespace.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    // A stray terminal or session signal must not take the container's supervisor down; the
    // processes it starts get default dispositions back (spawn resets them). SIGCHLD is ours
    // to collect (the factory lets the kernel reap its children: not us).
    struct sigaction collect {};
    collect.sa_handler = SIG_DFL;
    ::sigaction(SIGCHLD, &collect, nullptr);
    for (int ignored : {SIGPIPE, SIGHUP, SIGINT, SIGTERM, SIGQUIT})
        ::signal(ignored, SIG_IGN);
    // Hold none of the engine's descriptors beyond the readiness pipe.
    int ready_fd = arguments.ready_fd;
    if (ready_fd >= 0 && ready_fd != 3) {
        ::dup2(ready_fd, 3);
        ready_fd = 3;
    }
    // Nothing the shim starts (crun, the container) may inherit the readiness pipe.
    if (ready_fd >= 0)
        ::fcntl(ready_fd, F_SETFD, FD_CLOEXEC);
    ::close_range(ready_fd >= 0 ? 4 : 3, ~0U, 0);
    if (::chdir(arguments.shim.exec_root_dir.c_str()) < 0) {
        if (ready_fd >= 0)
            (void)!::write(ready_fd, "error cannot enter exec-root\n", 29);
        return 1;
    }
    ShimArguments effective = arguments;
    effective.ready_fd = ready_fd;
    Shim shim(effective);
    return shim.run();
}

}  // namespace corral::runtime
