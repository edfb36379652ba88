// The engine's side of the shim: spawning it, its state files, and the attach connection.
#include "runtime/shim_client.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "base/process.h"
#include "base/sys.h"
#include "runtime/console.h"
#include "runtime/shim.h"
#include "runtime/shim_protocol.h"

namespace corral::runtime {

namespace protocol = shim_protocol;

ErrorOr<ShimState> parse_shim_state(std::string_view text) {
    try {
        auto json = nlohmann::json::parse(text);
        ShimState state;
        state.shim_pid = json.at("shim_pid").get<pid_t>();
        state.shim_start_time = json.at("shim_start_time").get<uint64_t>();
        state.container_pid = json.at("container_pid").get<pid_t>();
        state.container_start_time = json.at("container_start_time").get<uint64_t>();
        // container_pid is 0 until the container runs.
        if (state.shim_pid <= 0 || state.container_pid < 0)
            return Error::invalid("shim state: bad pid");
        return state;
    } catch (const std::exception& error) {
        return Error::invalid(std::string("shim state: ") + error.what());
    }
}

ErrorOr<ExitStatus> parse_exit_status(std::string_view text) {
    try {
        auto json = nlohmann::json::parse(text);
        ExitStatus status;
        status.exit_code = json.at("exit_code").get<int>();
        status.oom_killed = json.at("oom_killed").get<bool>();
        status.finished_at_ns = json.at("finished_at_ns").get<int64_t>();
        status.error = json.value("error", std::string());
        return status;
    } catch (const std::exception& error) {
        return Error::invalid(std::string("exit status: ") + error.what());
    }
}

ErrorOr<ShimState> read_shim_state(const std::string& exec_root_dir) {
    std::string text = TRY(fs::read_file(fs::join(exec_root_dir, shim_state_file), 64 * 1024));
    return TRY_CONTEXT(parse_shim_state(text), exec_root_dir);
}

ErrorOr<std::optional<ExitStatus>> read_exit_status(const std::string& exec_root_dir) {
    std::string path = fs::join(exec_root_dir, exit_status_file);
    if (!TRY(fs::exists(path)))
        return std::optional<ExitStatus>();
    std::string text = TRY(fs::read_file(path, 64 * 1024));
    return std::optional<ExitStatus>(TRY_CONTEXT(parse_exit_status(text), path));
}

bool shim_alive(const ShimState& state) {
    return state.shim_pid > 0 && process_start_time(state.shim_pid) == state.shim_start_time &&
           state.shim_start_time != 0;
}

namespace {

// A pidfd for `pid` if it is still the process that started at `start_time`. The pidfd is
// opened first, so the check cannot race with pid reuse.
ErrorOr<std::optional<UniqueFd>> open_checked_pidfd(pid_t pid, uint64_t start_time) {
    if (pid <= 0)
        return std::optional<UniqueFd>();
    auto pidfd = sys::pidfd_open(pid);
    if (!pidfd) {
        if (pidfd.error().errno_value() == ESRCH)
            return std::optional<UniqueFd>();
        return pidfd.release_error();
    }
    if (process_start_time(pid) != start_time)
        return std::optional<UniqueFd>();
    return std::optional<UniqueFd>(std::move(pidfd).release_value());
}

// The program to exec as the shim: the engine's choice; else the lean corral-shim next to the
// running executable (one exec per container start: fewer shared objects to load); else the
// running executable itself, which serves corral-shim by name.
std::string shim_program(const RuntimeOptions& runtime) {
    if (!runtime.shim_program.empty())
        return runtime.shim_program;
    static const std::string found = [] {
        char self[4096];
        ssize_t length = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (length > 0) {
            std::string lean = fs::join(fs::dirname(std::string(self, static_cast<size_t>(length))),
                                        "corral-shim");
            if (::access(lean.c_str(), X_OK) == 0)
                return lean;
        }
        return std::string("/proc/self/exe");
    }();
    return found;
}

// The shim factory (prepare_shim_factory): one corral-shim exec'd ahead, which forks a new shim
// for every start it is sent. A start then costs the fork of a small single-threaded process:
// no fork of the engine, no exec and dynamic loading on or beside the start's path.
struct ShimFactory {
    std::string program;
    Child process;
    // SOCK_SEQPACKET, one message per shim: its command line (NUL-separated) with the write
    // end of its readiness pipe (SCM_RIGHTS).
    UniqueFd requests;

    bool alive() const {
        pollfd exited{process.pidfd(), POLLIN, 0};
        return process.pidfd() < 0 || ::poll(&exited, 1, 0) == 0;
    }
};

std::mutex factory_mutex;
std::optional<ShimFactory> factory;  // guarded by factory_mutex

// Asks the factory for a shim; false if it cannot take the request (it died).
bool request_shim(ShimFactory& shim_factory, const std::vector<std::string>& arguments,
                  int ready_fd) {
    std::string text;
    for (const auto& argument : arguments) {
        text += argument;
        text += '\0';
    }
    auto sent = sys::send_with_fd(shim_factory.requests.get(), text, ready_fd, "shim factory");
    return sent && *sent == text.size();
}

void drop_factory_locked() {
    if (!factory)
        return;
    factory->requests.reset();  // end of file: the factory exits
    (void)factory->process.wait();
    factory.reset();
}

}  // namespace

ErrorOr<void> prepare_shim_factory(const RuntimeOptions& runtime) {
    std::string program = shim_program(runtime);
    {
        std::lock_guard lock(factory_mutex);
        if (factory && factory->program == program && factory->alive())
            return {};
    }
    // Spawned without the lock: a start meanwhile spawns its own shim rather than wait. One
    // preparation at a time.
    static std::atomic<bool> preparing = false;
    if (preparing.exchange(true))
        return {};
    struct Done {
        ~Done() { preparing = false; }
    } done;
    int sockets[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets) < 0)
        return Error::from_errno("socketpair", "shim factory", errno);
    UniqueFd ours(sockets[0]), theirs(sockets[1]);
    SpawnOptions spawn_options;
    spawn_options.argv = {program, "corral-shim", "--factory-fd=3"};
    spawn_options.fds = {{3, theirs.get()}};
    spawn_options.new_session = true;
    spawn_options.search_path = false;
    spawn_options.cwd = "/";
    Child process = TRY(spawn(spawn_options));
    ShimFactory prepared{program, std::move(process), std::move(ours)};
    std::lock_guard lock(factory_mutex);
    drop_factory_locked();
    factory.emplace(std::move(prepared));
    return {};
}

void drop_shim_factory() {
    std::lock_guard lock(factory_mutex);
    drop_factory_locked();
}

bool has_shim_factory() {
    std::lock_guard lock(factory_mutex);
    return factory && factory->alive();
}

ErrorOr<std::optional<ShimProcess>> open_shim(const std::string& exec_root_dir) {
    auto state = read_shim_state(exec_root_dir);
    if (!state) {
        if (state.error().kind() == ErrorKind::not_found || state.error().errno_value() == ENOENT)
            return std::optional<ShimProcess>();
        return state.release_error();
    }
    auto pidfd = TRY(open_checked_pidfd(state->shim_pid, state->shim_start_time));
    if (!pidfd)
        return std::optional<ShimProcess>();
    ShimProcess process;
    process.state = *state;
    process.pidfd = std::move(*pidfd);
    return std::optional<ShimProcess>(std::move(process));
}

ErrorOr<std::optional<UniqueFd>> open_container_pidfd(const ShimState& state) {
    return open_checked_pidfd(state.container_pid, state.container_start_time);
}

ErrorOr<ShimProcess> spawn_shim(const RuntimeOptions& runtime, const ShimOptions& options) {
    auto spawning = TRY(begin_spawn_shim(runtime, options));
    return finish_spawn_shim(spawning);
}

ErrorOr<ShimSpawn> begin_spawn_shim(const RuntimeOptions& runtime, const ShimOptions& options) {
    if (options.id.empty() || options.exec_root_dir.empty() || options.container_dir.empty())
        return Error::invalid("spawn_shim: id, container dir and exec-root dir are required");
    TRY(fs::mkdir_p(options.exec_root_dir, 0700));
    TRY(fs::mkdir_p(runtime.crun_root, 0700));
    // What a previous run left must not be mistaken for this one's.
    for (const char* name :
         {exit_status_file, shim_state_file, "attach.sock", "container.pid", "console.sock"})
        ::unlink(fs::join(options.exec_root_dir, name).c_str());

    std::string program = shim_program(runtime);
    auto arguments = shim_command_line(runtime, options, 3);
    auto ready_pipe = TRY(sys::pipe());
    // The factory forks the shim if there is one: no fork of the engine, no exec.
    bool requested = false;
    {
        std::lock_guard lock(factory_mutex);
        if (factory && factory->program == program) {
            requested = request_shim(*factory, arguments, ready_pipe[1].get());
            if (!requested)
                drop_factory_locked();
        }
    }
    std::optional<Child> spawned;
    if (!requested) {
        SpawnOptions spawn_options;
        // argv[1] names the program (src/main.cc dispatches on it when argv[0] does not).
        spawn_options.argv = {program, "corral-shim"};
        for (auto& argument : arguments)
            spawn_options.argv.push_back(std::move(argument));
        spawn_options.fds = {{3, ready_pipe[1].get()}};
        spawn_options.new_session = true;
        spawn_options.search_path = false;
        spawn_options.cwd = options.exec_root_dir;
        spawned.emplace(TRY(spawn(spawn_options)));
    }
    ready_pipe[1].reset();
    ShimSpawn spawning;
    spawning.ready = std::move(ready_pipe[0]);
    spawning.intermediate = std::move(spawned);
    spawning.exec_root_dir = options.exec_root_dir;
    return spawning;
}

ErrorOr<ShimProcess> finish_spawn_shim(ShimSpawn& spawning) {
    UniqueFd ready_read = std::move(spawning.ready);
    auto& spawned = spawning.intermediate;
    // The shim answers one line: "ready <pid>" or "error <message>"; end of file without it
    // means it died.
    std::string answer;
    char buffer[4096];
    for (;;) {
        size_t n = TRY(sys::read(ready_read.get(), buffer));
        if (n == 0)
            break;
        answer.append(buffer, n);
        if (answer.find('\n') != std::string::npos || answer.size() > 64 * 1024)
            break;
    }
    // The intermediate process exits right after forking the shim. A reaper of the whole
    // process (PID 1) may have collected it already. (The factory reaps its own.)
    if (spawned)
        (void)spawned->wait();
    std::string after_ready = answer.substr(std::min(answer.size(), answer.find('\n')));
    answer = answer.substr(0, answer.find('\n'));
    if (answer.starts_with("error "))
        return Error::internal(answer.substr(6));
    if (!answer.starts_with("ready "))
        return Error::internal("corral-shim exited without reporting ready" +
                               (answer.empty() ? std::string() : ": " + answer));
    // The shim does not exit before this end of the pipe closes (the caller closes it after
    // its exit notice, or drops it), so a container that ends at once still leaves a shim to
    // open.
    auto opened = TRY(open_shim(spawning.exec_root_dir));
    if (!opened) {
        // The shim may already be done if the container was killed right away: its exit
        // status is then on disk; a pidfd of nothing is not possible, so report the state.
        return Error::internal("corral-shim exited right after reporting ready");
    }
    // A start_immediately container may have ended at once: its "exited" can have come with
    // the ready line.
    opened->exit_noticed = after_ready.find(shim_exited_line) != std::string::npos;
    int flags = ::fcntl(ready_read.get(), F_GETFL);
    if (flags >= 0)
        ::fcntl(ready_read.get(), F_SETFL, flags | O_NONBLOCK);
    opened->exit_notice = std::move(ready_read);
    return std::move(*opened);
}

bool read_exit_notice(int fd) {
    char buffer[256];
    bool exited = false;
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof(buffer));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (std::string_view(buffer, static_cast<size_t>(n)).find(shim_exited_line) !=
            std::string_view::npos)
            exited = true;
    }
    return exited;
}

ErrorOr<ShimState> start_container(const std::string& exec_root_dir) {
    auto client = TRY(ShimClient::connect(exec_root_dir, {}));
    TRY(client.start());
    return read_shim_state(exec_root_dir);
}

ErrorOr<void> kill_container(const RuntimeOptions& runtime, const std::string& id,
                             const std::string& exec_root_dir, int signal) {
    auto state = read_shim_state(exec_root_dir);
    if (state) {
        auto pidfd = TRY(open_container_pidfd(*state));
        if (!pidfd)
            return Error::conflict("container " + id + " is not running");
        return sys::pidfd_send_signal(pidfd->get(), signal);
    }
    return kill(runtime, id, signal);
}

// ShimEventDecoder ---------------------------------------------------------------------------

ErrorOr<void> ShimEventDecoder::feed(std::string_view bytes) {
    buffer_.append(bytes);
    // Decode whole frames from the buffer, keep the tail.
    size_t offset = 0;
    while (buffer_.size() - offset >= protocol::header_size) {
        auto header = std::string_view(buffer_).substr(offset, protocol::header_size);
        uint32_t length = static_cast<uint32_t>(static_cast<uint8_t>(header[1])) << 24 |
                          static_cast<uint32_t>(static_cast<uint8_t>(header[2])) << 16 |
                          static_cast<uint32_t>(static_cast<uint8_t>(header[3])) << 8 |
                          static_cast<uint32_t>(static_cast<uint8_t>(header[4]));
        if (length > protocol::max_payload)
            return Error(ErrorKind::too_large, "shim frame too large");
        if (buffer_.size() - offset < protocol::header_size + length)
            break;
        std::string_view payload =
            std::string_view(buffer_).substr(offset + protocol::header_size, length);
        ShimEvent event;
        switch (header[0]) {
            case protocol::type::stdout_data:
                event.kind = ShimEvent::Kind::stdout_data;
                event.data = payload;
                break;
            case protocol::type::stderr_data:
                event.kind = ShimEvent::Kind::stderr_data;
                event.data = payload;
                break;
            case protocol::type::start_result:
                event.kind = ShimEvent::Kind::start_result;
                event.data = payload;
                break;
            case protocol::type::exit: {
                auto decoded = protocol::decode_exit(payload);
                if (!decoded)
                    return Error::invalid("malformed exit frame from the shim");
                event.kind = ShimEvent::Kind::exit;
                event.exit_code = decoded->first;
                event.oom_killed = decoded->second;
                break;
            }
            default:
                return Error::invalid("unknown frame type from the shim");
        }
        ready_.push_back(std::move(event));
        offset += protocol::header_size + length;
    }
    buffer_.erase(0, offset);
    return {};
}

std::optional<ShimEvent> ShimEventDecoder::next() {
    if (ready_.empty())
        return std::nullopt;
    ShimEvent event = std::move(ready_.front());
    ready_.pop_front();
    return event;
}

// ShimClient ---------------------------------------------------------------------------------

ErrorOr<ShimClient> ShimClient::connect(const std::string& exec_root_dir, AttachStreams streams) {
    UniqueFd fd = TRY(connect_unix_long(attach_socket_path(exec_root_dir)));
    ShimClient client(std::move(fd));
    uint8_t flags = 0;
    if (streams.stdout_stream)
        flags |= protocol::hello_flag::stdout_stream;
    if (streams.stderr_stream)
        flags |= protocol::hello_flag::stderr_stream;
    if (streams.stdin_stream)
        flags |= protocol::hello_flag::stdin_stream;
    TRY(client.send(protocol::type::hello, std::string(1, static_cast<char>(flags))));
    return client;
}

ErrorOr<void> ShimClient::send(char type, std::string_view payload) {
    std::string frame = protocol::encode(type, payload);
    std::string_view rest = frame;
    while (!rest.empty()) {
        ssize_t n = ::send(fd_.get(), rest.data(), rest.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                pollfd out{fd_.get(), POLLOUT, 0};
                ::poll(&out, 1, -1);
                continue;
            }
            return Error::from_errno("send", "shim attach socket", errno);
        }
        rest.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

ErrorOr<std::optional<ShimEvent>> ShimClient::read_event() {
    if (!pending_.empty()) {
        ShimEvent event = std::move(pending_.front());
        pending_.pop_front();
        return std::optional<ShimEvent>(std::move(event));
    }
    for (;;) {
        if (auto event = decoder_.next())
            return std::optional<ShimEvent>(std::move(*event));
        char buffer[65536];
        ssize_t n;
        do {
            n = ::recv(fd_.get(), buffer, sizeof(buffer), 0);
        } while (n < 0 && errno == EINTR);
        if (n < 0 && errno == EAGAIN) {
            pollfd in{fd_.get(), POLLIN, 0};
            ::poll(&in, 1, -1);
            continue;
        }
        if (n < 0) {
            if (errno == ECONNRESET)
                return std::optional<ShimEvent>();
            return Error::from_errno("recv", "shim attach socket", errno);
        }
        if (n == 0)
            return std::optional<ShimEvent>();
        TRY(decoder_.feed(std::string_view(buffer, static_cast<size_t>(n))));
    }
}

ErrorOr<void> ShimClient::write_stdin(std::string_view data) {
    while (!data.empty()) {
        size_t chunk = std::min(data.size(), protocol::max_payload);
        TRY(send(protocol::type::stdin_data, data.substr(0, chunk)));
        data.remove_prefix(chunk);
    }
    return {};
}

ErrorOr<void> ShimClient::close_stdin() {
    return send(protocol::type::close_stdin, {});
}

ErrorOr<void> ShimClient::resize(unsigned short rows, unsigned short columns) {
    std::string frame = protocol::encode_resize(rows, columns);
    return send(protocol::type::resize, std::string_view(frame).substr(protocol::header_size));
}

ErrorOr<void> ShimClient::start() {
    TRY(send(protocol::type::start, {}));
    for (;;) {
        if (auto event = decoder_.next()) {
            if (event->kind == ShimEvent::Kind::start_result) {
                if (!event->data.empty())
                    return Error::internal(event->data);
                return {};
            }
            pending_.push_back(std::move(*event));
            continue;
        }
        char buffer[65536];
        ssize_t n;
        do {
            n = ::recv(fd_.get(), buffer, sizeof(buffer), 0);
        } while (n < 0 && errno == EINTR);
        if (n < 0)
            return Error::from_errno("recv", "shim attach socket", errno);
        if (n == 0)
            return Error::internal("the shim closed the connection before starting");
        TRY(decoder_.feed(std::string_view(buffer, static_cast<size_t>(n))));
    }
}

}  // namespace corral::runtime
