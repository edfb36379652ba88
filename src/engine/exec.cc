// exec instances (crun exec children of the engine) and `top`.
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "base/process.h"
#include "base/sys.h"
#include "engine/engine_impl.h"
#include "engine/merge.h"
#include "engine/names.h"
#include "engine/stream_io.h"

namespace corral::engine {

namespace {

std::string join_words(const std::vector<std::string>& words) {
    std::string joined;
    for (const auto& word : words) {
        if (!joined.empty())
            joined += ' ';
        joined += word;
    }
    return joined;
}

std::vector<std::string> split_whitespace(std::string_view text, size_t max_fields = 0) {
    std::vector<std::string> fields;
    size_t position = 0;
    while (position < text.size()) {
        while (position < text.size() && (text[position] == ' ' || text[position] == '\t'))
            ++position;
        if (position >= text.size())
            break;
        if (max_fields && fields.size() + 1 == max_fields) {
            fields.emplace_back(text.substr(position));
            break;
        }
        size_t end = position;
        while (end < text.size() && text[end] != ' ' && text[end] != '\t')
            ++end;
        fields.emplace_back(text.substr(position, end - position));
        position = end;
    }
    return fields;
}

}  // namespace

ErrorOr<std::string> EngineImpl::exec_create(const std::string& ref, ExecConfig config) {
    if (config.cmd.empty())
        return Error::invalid("No exec command specified");
    if (config.cmd.size() > 4096 || config.env.size() > 4096)
        return Error(ErrorKind::too_large, "exec command or environment too large");
    std::lock_guard lock(mutex_);
    auto record = TRY(find_locked(ref));
    const auto& container = record->container;
    if (container.state.status == Status::paused)
        return Error::conflict("Container " + container.id +
                               " is paused, unpause the container before exec");
    if (container.state.status != Status::running)
        return Error::conflict("Container " + container.id + " is not running");
    std::vector<std::string> finished;
    size_t count = 0;
    for (const auto& [id, exec] : execs_) {
        if (exec->info.container_id != container.id)
            continue;
        ++count;
        if (!exec->info.running && exec->started)
            finished.push_back(id);
    }
    // Forget the oldest finished instances first, as the limit needs room.
    std::sort(finished.begin(), finished.end(), [&](const auto& a, const auto& b) {
        return execs_.at(a)->created_ns < execs_.at(b)->created_ns;
    });
    for (size_t i = 0; count >= options_.max_execs_per_container && i < finished.size(); ++i) {
        execs_.erase(finished[i]);
        --count;
    }
    if (count >= options_.max_execs_per_container)
        return Error(ErrorKind::too_large, "too many exec instances for container " + container.id);
    auto exec = std::make_shared<ExecRecord>();
    exec->info.id = generate_id();
    exec->info.container_id = container.id;
    exec->info.open_stdin = config.attach_stdin;
    exec->info.open_stdout = config.attach_stdout;
    exec->info.open_stderr = config.attach_stderr;
    exec->info.config = std::move(config);
    exec->created_ns = sys::realtime_ns();
    execs_[exec->info.id] = exec;
    emit_locked(*record, "exec_create: " + join_words(exec->info.config.cmd),
                {{"execID", exec->info.id}});
    return exec->info.id;
}

ErrorOr<ExecInfo> EngineImpl::exec_inspect(const std::string& exec_id) {
    std::lock_guard lock(mutex_);
    auto found = execs_.find(exec_id);
    if (found == execs_.end())
        return Error::not_found("No such exec instance: " + exec_id);
    return found->second->info;
}

ErrorOr<void> EngineImpl::exec_resize(const std::string& exec_id, int height, int width) {
    if (height < 0 || width < 0 || height > 65535 || width > 65535)
        return Error::invalid("invalid terminal size");
    std::lock_guard lock(mutex_);
    auto found = execs_.find(exec_id);
    if (found == execs_.end())
        return Error::not_found("No such exec instance: " + exec_id);
    auto& exec = *found->second;
    if (!exec.info.running || !exec.process || exec.process->pty_master() < 0)
        return Error::conflict("Exec " + exec_id + " is not running with a terminal");
    return exec.process->resize(static_cast<unsigned short>(height),
                                static_cast<unsigned short>(width));
}

void EngineImpl::handle_exec_exit(const std::string& exec_id) {
    std::lock_guard lock(mutex_);
    auto found = execs_.find(exec_id);
    if (found == execs_.end())
        return;
    auto& exec = *found->second;
    if (!exec.process || !exec.info.running)
        return;
    auto code = exec.process->wait();
    exec.info.running = false;
    exec.info.exit_code = code.is_error() ? 126 : *code;
    exec.process.reset();
    auto container = containers_.find(exec.info.container_id);
    if (container != containers_.end())
        emit_locked(*container->second, "exec_die",
                    {{"execID", exec_id}, {"exitCode", std::to_string(*exec.info.exit_code)}});
    state_changed();
}

ErrorOr<void> EngineImpl::exec_start(const std::string& exec_id, ExecStartOptions options,
                                     Hijack hijack) {
    std::shared_ptr<ExecRecord> exec;
    runtime::ExecRequest request;
    {
        std::lock_guard lock(mutex_);
        auto found = execs_.find(exec_id);
        if (found == execs_.end())
            return Error::not_found("No such exec instance: " + exec_id);
        exec = found->second;
        if (exec->started)
            return Error::conflict("Exec instance " + exec_id + " has already been started");
        auto record = TRY(find_locked(exec->info.container_id));
        const auto& container = record->container;
        if (container.state.status == Status::paused)
            return Error::conflict("Container " + container.id +
                                   " is paused, unpause the container before exec");
        if (container.state.status != Status::running)
            return Error::conflict("Container " + container.id + " is not running");
        exec->started = true;
        const auto& config = exec->info.config;
        request.id = container.id;
        request.container_dir = container_dir(container.id);
        request.exec_root_dir = exec_root_dir(container.id);
        request.args = config.cmd;
        std::vector<std::string> env = container.config.env;
        if (std::none_of(env.begin(), env.end(),
                         [](const std::string& e) { return e.rfind("PATH=", 0) == 0; }))
            env.insert(env.begin(),
                       "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        env.push_back("HOSTNAME=" + container.config.hostname);
        if (config.tty)
            env.push_back("TERM=xterm");
        request.env = merge_env(env, config.env);
        request.user = config.user;
        request.working_dir =
            config.working_dir.empty() ? container.config.working_dir : config.working_dir;
        request.tty = config.tty;
        // The start's size wins over the create's, as in dockerd. crun exec (unlike crun run)
        // sizes the pty from its own process just after the exec'd one started: a reader as
        // quick as `stty size` can still miss it, but not the client's later resize.
        auto console_size =
            options.console_size.given() ? options.console_size : config.console_size;
        if (config.tty && console_size.height && console_size.width) {
            request.rows = console_size.height;
            request.columns = console_size.width;
        }
        request.privileged = config.privileged;
        request.container_host_config = container.host_config;
        request.container_user = container.config.user;
    }
    const auto& config = exec->info.config;
    bool tty = config.tty;
    auto started = [&](runtime::ExecProcess process) {
        std::lock_guard lock(mutex_);
        exec->info.running = true;
        exec->info.pid = process.child().pid();
        exec->process.emplace(std::move(process));
        auto record = containers_.find(exec->info.container_id);
        if (record != containers_.end())
            emit_locked(*record->second, "exec_start: " + join_words(config.cmd),
                        {{"execID", exec_id}});
    };
    auto watch = [&] {
        std::lock_guard lock(mutex_);
        if (!exec->process)
            return;
        std::string id = exec_id;
        watch_pidfd_locked(exec->epoll_key, exec->process->child().pidfd(),
                           [this, id](uint64_t) { handle_exec_exit(id); });
    };
    auto fail = [&](Error error) -> Error {
        std::lock_guard lock(mutex_);
        exec->info.running = false;
        exec->info.exit_code = 126;
        return error;
    };

    if (options.detach) {
        auto process = runtime::exec(runtime_, request);
        if (process.is_error())
            return fail(process.release_error());
        started(std::move(process).release_value());
        watch();
        return {};
    }

    // Attached: the client's stdio through pipes (or the pty).
    UniqueFd stdin_write, stdout_read, stderr_read;
    std::array<UniqueFd, 2> in_pipe, out_pipe, err_pipe;
    if (!tty) {
        if (config.attach_stdin) {
            in_pipe = TRY(sys::pipe());
            request.stdin_fd = in_pipe[0].get();
            stdin_write = std::move(in_pipe[1]);
        }
        out_pipe = TRY(sys::pipe());
        err_pipe = TRY(sys::pipe());
        request.stdout_fd = out_pipe[1].get();
        request.stderr_fd = err_pipe[1].get();
        stdout_read = std::move(out_pipe[0]);
        stderr_read = std::move(err_pipe[0]);
    }
    auto process = runtime::exec(runtime_, request);
    in_pipe[0].reset();
    out_pipe[1].reset();
    err_pipe[1].reset();
    if (process.is_error())
        return fail(process.release_error());
    int pty = process->pty_master();
    started(std::move(process).release_value());
    int connection = hijack.connection.get();
    if (hijack.send_response) {
        auto sent = hijack.send_response(connection);
        if (sent.is_error()) {
            watch();
            return sent;
        }
    }
    if (tty) {
        stdin_write.reset(::dup(pty));
        stdout_read.reset(::dup(pty));
    }
    auto pumped = pump_exec(*exec, connection, tty, std::move(hijack.buffered_input),
                            config.attach_stdin ? &stdin_write : nullptr,
                            config.attach_stdout || tty ? stdout_read.get() : -1,
                            config.attach_stderr ? stderr_read.get() : -1);
    stdin_write.reset();
    stdout_read.reset();
    stderr_read.reset();
    // Reaped by the supervisor: right away when it ended, later when the client left early.
    watch();
    if (pumped.is_error())
        return pumped;
    // Docker's client asks for the exit code right after the stream ends: have it ready.
    // Output closed while the process runs on is rare; then it is reaped later.
    auto registration = TRY(notifier_.register_waiter());
    int64_t deadline = sys::monotonic_ns() + 5'000'000'000;
    for (;;) {
        {
            std::lock_guard lock(mutex_);
            if (!exec->info.running)
                return {};
        }
        int64_t left = deadline - sys::monotonic_ns();
        if (left <= 0)
            return {};
        TRY(sleep_on(registration->fd(), {}, left));
    }
}

ErrorOr<void> EngineImpl::pump_exec(ExecRecord& exec, int connection, bool tty,
                                    std::string buffered, UniqueFd* stdin_write, int stdout_fd,
                                    int stderr_fd) {
    DetachMatcher matcher(tty ? std::string("\x10\x11") : std::string());
    if (!exec.info.config.detach_keys.empty())
        matcher = DetachMatcher(TRY(parse_detach_keys(exec.info.config.detach_keys)));
    bool stdin_open = stdin_write && stdin_write->valid();
    bool out_open = stdout_fd >= 0;
    bool err_open = stderr_fd >= 0;
    auto send_stdin = [&](std::string_view data) -> ErrorOr<bool> {
        auto result = matcher.feed(data);
        if (!result.forward.empty() && stdin_write && stdin_write->valid()) {
            auto written = sys::write_all(stdin_write->get(), result.forward);
            if (written.is_error())
                stdin_open = false;
        }
        return result.detach;
    };
    if (stdin_open && !buffered.empty() && TRY(send_stdin(buffered)))
        return {};
    char buffer[65536];
    while (out_open || err_open) {
        pollfd fds[3] = {{out_open ? stdout_fd : -1, POLLIN, 0},
                         {err_open ? stderr_fd : -1, POLLIN, 0},
                         {connection, static_cast<short>(stdin_open ? POLLIN : 0), 0}};
        if (::poll(fds, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            return Error::from_errno("poll", errno);
        }
        for (int i = 0; i < 2; ++i) {
            if (!fds[i].revents)
                continue;
            auto n = ::read(fds[i].fd, buffer, sizeof(buffer));
            if (n <= 0) {
                if (n < 0 && errno == EINTR)
                    continue;
                (i == 0 ? out_open : err_open) = false;  // EOF, or EIO on a pty
                continue;
            }
            std::string_view data(buffer, static_cast<size_t>(n));
            LogStream stream = i == 0 ? LogStream::stdout_stream : LogStream::stderr_stream;
            auto written =
                write_to_client(connection, tty ? std::string(data) : frame(stream, data));
            if (written.is_error())
                return {};
        }
        if (fds[2].revents & (POLLHUP | POLLERR))
            return {};
        if (fds[2].revents & POLLIN) {
            auto n = ::read(connection, buffer, sizeof(buffer));
            if (n <= 0) {
                stdin_open = false;
                if (!tty && stdin_write) {
                    auto held = matcher.flush();
                    if (!held.empty())
                        (void)sys::write_all(stdin_write->get(), held);
                    // End of the client's stdin is the end of the process's stdin.
                    stdin_write->reset();
                }
                continue;
            }
            if (TRY(send_stdin(std::string_view(buffer, static_cast<size_t>(n)))))
                return {};
        }
    }
    return {};
}

ErrorOr<TopResult> EngineImpl::top(const std::string& ref, const std::string& ps_args) {
    std::string id;
    {
        std::lock_guard lock(mutex_);
        auto record = TRY(find_locked(ref));
        id = record->container.id;
        // A paused container's processes are listed too, as docker does.
        if (record->container.state.status != Status::running &&
            record->container.state.status != Status::paused)
            return Error::conflict("Container " + id + " is not running");
    }
    auto pids = TRY(runtime::container_pids(runtime_, id));
    std::set<std::string> wanted;
    for (pid_t pid : pids)
        wanted.insert(std::to_string(pid));
    std::vector<std::string> argv = {"ps"};
    auto args = split_whitespace(ps_args.empty() ? std::string("-ef") : ps_args);
    if (args.size() > 64)
        return Error::invalid("too many ps arguments");
    argv.insert(argv.end(), args.begin(), args.end());
    auto result = TRY(run(argv, {}, 16 << 20));
    if (result.exit_code != 0)
        return Error::internal("Error running ps: exit status " + std::to_string(result.exit_code) +
                               ": " + result.err);
    std::istringstream lines(result.out);
    std::string line;
    TopResult top;
    if (!std::getline(lines, line))
        return Error::internal("ps printed nothing");
    top.titles = split_whitespace(line);
    auto pid_column = std::find(top.titles.begin(), top.titles.end(), "PID");
    if (pid_column == top.titles.end())
        return Error::invalid("Couldn't find PID field in ps output");
    size_t pid_index = static_cast<size_t>(pid_column - top.titles.begin());
    while (std::getline(lines, line)) {
        auto fields = split_whitespace(line, top.titles.size());
        if (fields.size() <= pid_index || !wanted.count(fields[pid_index]))
            continue;
        top.processes.push_back(std::move(fields));
    }
    return top;
}

}  // namespace corral::engine
