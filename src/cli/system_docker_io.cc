#include "cli/system_docker_io.h"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "base/sys.h"
#include "cli/system_docker_stream.h"

namespace corral::cli {

namespace {

ErrorOr<void> write_output(StreamId stream, std::string_view data) {
    int fd = stream == StreamId::stdout_stream ? STDOUT_FILENO : STDERR_FILENO;
    auto written = sys::write_all(fd, data);
    // A closed pipe on our side (| head) ends the copy quietly, as a broken pipe would.
    if (written.is_error() && written.error().errno_value() == EPIPE)
        return Error(ErrorKind::unavailable, "output closed");
    return written;
}

// Blocks the given signals and reads them from a signalfd; the old mask comes back at the end.
class SignalReader {
  public:
    static ErrorOr<SignalReader> create(const std::vector<int>& signals) {
        sigset_t set;
        sigemptyset(&set);
        for (int signal_number : signals)
            sigaddset(&set, signal_number);
        sigset_t old;
        if (::sigprocmask(SIG_BLOCK, &set, &old) < 0)
            return Error::from_errno("sigprocmask", errno);
        int fd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        if (fd < 0) {
            int saved = errno;
            ::sigprocmask(SIG_SETMASK, &old, nullptr);
            return Error::from_errno("signalfd", saved);
        }
        return SignalReader(UniqueFd(fd), old);
    }
    SignalReader(SignalReader&& other) noexcept
        : fd_(std::move(other.fd_)),
          old_(other.old_),
          active_(std::exchange(other.active_, false)) {}
    SignalReader(const SignalReader&) = delete;
    SignalReader& operator=(const SignalReader&) = delete;
    SignalReader& operator=(SignalReader&&) = delete;
    ~SignalReader() {
        if (active_)
            ::sigprocmask(SIG_SETMASK, &old_, nullptr);
    }
    int fd() const { return fd_.get(); }
    // The next pending signal, or 0.
    int next() {
        signalfd_siginfo info{};
        ssize_t n = ::read(fd_.get(), &info, sizeof info);
        return n == sizeof info ? static_cast<int>(info.ssi_signo) : 0;
    }

  private:
    SignalReader(UniqueFd fd, const sigset_t& old) : fd_(std::move(fd)), old_(old) {}
    UniqueFd fd_;
    sigset_t old_;
    bool active_ = true;
};

}  // namespace

ErrorOr<RawTerminal> RawTerminal::enable(int fd) {
    termios saved{};
    if (::tcgetattr(fd, &saved) < 0)
        return Error::from_errno("tcgetattr", errno);
    termios raw = saved;
    // Fully raw, output included: the container's own terminal already turns "\n" into
    // "\r\n", and a second translation here would double the carriage returns.
    ::cfmakeraw(&raw);
    if (::tcsetattr(fd, TCSANOW, &raw) < 0)
        return Error::from_errno("tcsetattr", errno);
    return RawTerminal(fd, saved);
}

RawTerminal::RawTerminal(RawTerminal&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), saved_(other.saved_) {}

RawTerminal::~RawTerminal() {
    if (fd_ >= 0)
        ::tcsetattr(fd_, TCSANOW, &saved_);
}

std::optional<TerminalSize> terminal_size(int fd) {
    winsize size{};
    if (::ioctl(fd, TIOCGWINSZ, &size) < 0 || size.ws_row == 0)
        return std::nullopt;
    return TerminalSize{size.ws_row, size.ws_col};
}

ErrorOr<void> pump_hijacked(http::Connection& connection, const PumpOptions& options) {
    StreamDemultiplexer demultiplexer(write_output);
    auto deliver = [&](std::string_view data) -> ErrorOr<void> {
        if (options.tty)
            return write_output(StreamId::stdout_stream, data);
        return demultiplexer.feed(data);
    };
    std::vector<int> signals;
    if (options.tty && options.on_resize)
        signals.push_back(SIGWINCH);
    if (options.on_signal) {
        for (int signal_number : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2})
            signals.push_back(signal_number);
    }
    std::optional<SignalReader> signal_reader;
    if (!signals.empty())
        signal_reader.emplace(TRY(SignalReader::create(signals)));

    std::string leftover = connection.take_leftover();
    if (!leftover.empty()) {
        auto delivered = deliver(leftover);
        if (delivered.is_error())
            return delivered.error().kind() == ErrorKind::unavailable ? ErrorOr<void>() : delivered;
    }
    int socket_fd = connection.fd();
    bool stdin_open = options.send_stdin;
    std::vector<char> buffer(64 * 1024);
    for (;;) {
        pollfd fds[3];
        nfds_t count = 0;
        fds[count++] = {socket_fd, POLLIN, 0};
        int stdin_index = -1;
        int signal_index = -1;
        if (stdin_open) {
            stdin_index = static_cast<int>(count);
            fds[count++] = {STDIN_FILENO, POLLIN, 0};
        }
        if (signal_reader) {
            signal_index = static_cast<int>(count);
            fds[count++] = {signal_reader->fd(), POLLIN, 0};
        }
        if (::poll(fds, count, -1) < 0) {
            if (errno == EINTR)
                continue;
            return Error::from_errno("poll", errno);
        }
        if (signal_index >= 0 && (fds[signal_index].revents & POLLIN)) {
            while (int signal_number = signal_reader->next()) {
                if (signal_number == SIGWINCH) {
                    if (options.on_resize)
                        options.on_resize();
                } else if (options.on_signal) {
                    options.on_signal(signal_number);
                }
            }
        }
        if (stdin_index >= 0 && (fds[stdin_index].revents & (POLLIN | POLLHUP | POLLERR))) {
            auto n = sys::read(STDIN_FILENO, buffer);
            if (n.is_error() || *n == 0) {
                // End of our input: the container sees end of file on its stdin.
                stdin_open = false;
                ::shutdown(socket_fd, SHUT_WR);
            } else {
                TRY_CONTEXT(sys::write_all(socket_fd, std::string_view(buffer.data(), *n)),
                            "send stdin");
            }
        }
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n;
            do {
                n = ::recv(socket_fd, buffer.data(), buffer.size(), 0);
            } while (n < 0 && errno == EINTR);
            if (n < 0) {
                if (errno == ECONNRESET)
                    return {};
                return Error::from_errno("recv", errno);
            }
            if (n == 0)
                return {};
            auto delivered = deliver(std::string_view(buffer.data(), static_cast<size_t>(n)));
            if (delivered.is_error()) {
                if (delivered.error().kind() == ErrorKind::unavailable)
                    return {};
                return delivered;
            }
        }
    }
}

ErrorOr<void> copy_body_to_output(http::Connection& connection, bool tty) {
    StreamDemultiplexer demultiplexer(write_output);
    for (;;) {
        auto piece = TRY(connection.read_body_some());
        if (!piece)
            return {};
        auto delivered =
            tty ? write_output(StreamId::stdout_stream, *piece) : demultiplexer.feed(*piece);
        if (delivered.is_error()) {
            if (delivered.error().kind() == ErrorKind::unavailable)
                return {};
            return delivered;
        }
    }
}

ErrorOr<void> for_each_json_value(http::Connection& connection, std::string_view what,
                                  const std::function<ErrorOr<void>(const Json&)>& handle) {
    JsonSequenceSplitter splitter;
    for (;;) {
        auto piece = TRY(connection.read_body_some());
        if (!piece)
            return {};
        for (const auto& text : TRY(splitter.feed(*piece))) {
            Json value;
            try {
                value = Json::parse(text);
            } catch (const std::exception&) {
                return Error::invalid("malformed " + std::string(what) + " from the daemon");
            }
            TRY(handle(value));
        }
    }
}

}  // namespace corral::cli
