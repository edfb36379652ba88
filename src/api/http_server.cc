// The only translation unit that includes Boost.Beast: it parses requests (Beast's parser
// over our own deadline-aware socket stream) and writes responses by hand.
#include "api/http_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdio>
#include <limits>
#include <optional>
#include <thread>

#include "api/errors.h"
#include "api/query.h"
#include "base/log.h"
#include "base/sys.h"

namespace corral::api {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using boost::system::error_code;

int remaining_ms(int64_t deadline_ns) {
    if (deadline_ns == 0)
        return -1;
    int64_t left = deadline_ns - sys::monotonic_ns();
    if (left <= 0)
        return 0;
    return static_cast<int>(std::min<int64_t>((left + 999'999) / 1'000'000, 1'000'000'000));
}

int64_t deadline_after(int milliseconds) {
    return sys::monotonic_ns() + int64_t{milliseconds} * 1'000'000;
}

void set_nonblocking(int fd, bool on) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0)
        ::fcntl(fd, F_SETFL, on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK));
}

// A SyncReadStream for Beast over a non-blocking socket, with a deadline on each read.
class SocketStream {
  public:
    explicit SocketStream(int fd) : fd_(fd) {}
    void set_deadline(int64_t deadline_ns) { deadline_ns_ = deadline_ns; }

    template <class MutableBufferSequence>
    size_t read_some(const MutableBufferSequence& buffers, error_code& ec) {
        ec = {};
        for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers);
             ++it) {
            net::mutable_buffer buffer = *it;
            if (buffer.size() != 0)
                return read_into(static_cast<char*>(buffer.data()), buffer.size(), ec);
        }
        return 0;
    }
    template <class MutableBufferSequence>
    size_t read_some(const MutableBufferSequence& buffers) {
        error_code ec;
        size_t n = read_some(buffers, ec);
        if (ec)
            throw boost::system::system_error(ec);
        return n;
    }

  private:
    size_t read_into(char* data, size_t size, error_code& ec) {
        while (true) {
            ssize_t n = ::recv(fd_, data, size, 0);
            if (n > 0)
                return static_cast<size_t>(n);
            if (n == 0) {
                ec = net::error::eof;
                return 0;
            }
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                ec.assign(errno, boost::system::system_category());
                return 0;
            }
            int timeout = remaining_ms(deadline_ns_);
            if (timeout == 0) {
                ec = beast::error::timeout;
                return 0;
            }
            pollfd entry{fd_, POLLIN, 0};
            if (::poll(&entry, 1, timeout) < 0 && errno != EINTR) {
                ec.assign(errno, boost::system::system_category());
                return 0;
            }
        }
    }

    int fd_;
    int64_t deadline_ns_ = 0;
};

constexpr uint64_t unlimited_body = std::numeric_limits<uint64_t>::max();

class Connection final : public Exchange {
  public:
    Connection(HttpServer& server, const Router& router, const ServerOptions& options, UniqueFd fd)
        : server_(server),
          router_(router),
          options_(options),
          fd_(std::move(fd)),
          stream_(fd_.get()) {}

    ~Connection() override {
        if (fd_) {
            server_.unregister_fd(fd_.get());
            fd_.reset();
        }
    }

    void run() {
        set_nonblocking(fd_.get(), true);
        while (fd_ && serve_one()) {
        }
    }

    const Request& request() const override { return request_; }

    ErrorOr<void> respond(int status, std::string_view content_type, std::string_view body,
                          const HeaderList& extra_headers) override {
        if (started_)
            return Error::internal("response already started");
        started_ = true;
        finished_ = true;
        std::string head = response_head(status, content_type, extra_headers);
        bool no_body = status == 204 || status == 304 || (status >= 100 && status < 200);
        if (!no_body) {
            head += "Content-Length: " + std::to_string(body.size()) + "\r\n";
        }
        head += "\r\n";
        if (!no_body && request_.method != "HEAD")
            head.append(body);
        return send_all(head);
    }

    ErrorOr<void> begin_stream(int status, std::string_view content_type,
                               const HeaderList& extra_headers) override {
        if (started_)
            return Error::internal("response already started");
        started_ = true;
        streaming_ = true;
        chunked_ = http11_;
        if (!chunked_)
            close_after_ = true;
        std::string head = response_head(status, content_type, extra_headers);
        if (chunked_)
            head += "Transfer-Encoding: chunked\r\n";
        head += "\r\n";
        return send_all(head);
    }

    ErrorOr<void> write(std::string_view data) override {
        if (!streaming_ || finished_)
            return Error::internal("write outside a streamed response");
        if (data.empty() || request_.method == "HEAD")
            return {};
        if (!chunked_)
            return send_all(data);
        char size[24];
        int length = std::snprintf(size, sizeof(size), "%zx\r\n", data.size());
        std::string chunk(size, static_cast<size_t>(length));
        chunk.append(data);
        chunk += "\r\n";
        return send_all(chunk);
    }

    ErrorOr<void> end_stream() override {
        if (!streaming_ || finished_)
            return {};
        finished_ = true;
        if (chunked_ && request_.method != "HEAD")
            return send_all("0\r\n\r\n");
        return {};
    }

    ErrorOr<int> begin_unframed(int status, std::string_view content_type) override {
        if (started_)
            return Error::internal("response already started");
        started_ = true;
        finished_ = true;
        close_after_ = true;
        std::string head = response_head(status, content_type, {});
        head += "\r\n";
        TRY(send_all(head));
        set_nonblocking(fd_.get(), false);
        return fd_.get();
    }

    bool response_started() const override { return started_; }

    ErrorOr<size_t> read_body(std::span<char> buffer) override {
        if (!body_parser_ || body_parser_->is_done() || buffer.empty())
            return size_t{0};
        while (!body_parser_->is_done()) {
            auto& body = body_parser_->get().body();
            body.data = buffer.data();
            body.size = buffer.size();
            stream_.set_deadline(deadline_after(options_.body_stall_timeout_ms));
            error_code ec;
            http::read_some(stream_, buffer_, *body_parser_, ec);
            size_t produced = buffer.size() - body.size;
            body.data = nullptr;
            if (ec == http::error::need_buffer)
                ec = {};
            if (ec) {
                close_after_ = true;
                if (ec == http::error::body_limit)
                    return Error{ErrorKind::too_large, "request body is too large"};
                return Error{ErrorKind::invalid_argument, "reading request body: " + ec.message()};
            }
            if (produced > 0)
                return produced;
        }
        return size_t{0};
    }

    ErrorOr<HijackedConnection> hijack() override {
        if (started_ || !fd_)
            return Error::internal("cannot hijack: response already started");
        started_ = true;
        finished_ = true;
        hijacked_ = true;
        server_.unregister_fd(fd_.get());
        set_nonblocking(fd_.get(), false);
        HijackedConnection connection;
        auto data = buffer_.data();
        connection.buffered_input.assign(static_cast<const char*>(data.data()), data.size());
        buffer_.consume(buffer_.size());
        connection.fd = std::move(fd_);
        return connection;
    }

    int socket_fd() const override { return fd_.get(); }

  private:
    // Reads and answers one request; false when the connection must end.
    bool serve_one() {
        if (buffer_.size() == 0 && !wait_readable(options_.idle_timeout_ms))
            return false;
        reset_request_state();
        http::request_parser<http::empty_body> parser;
        parser.header_limit(static_cast<uint32_t>(options_.header_limit));
        parser.body_limit(unlimited_body);
        stream_.set_deadline(deadline_after(options_.header_timeout_ms));
        error_code ec;
        http::read_header(stream_, buffer_, parser, ec);
        if (ec) {
            if (ec == http::error::end_of_stream || ec == net::error::eof ||
                ec == beast::error::timeout)
                return false;
            if (ec == http::error::header_limit) {
                (void)send_error_and_close(431, "request header is too large");
                return false;
            }
            (void)send_error_and_close(400, "malformed HTTP request: " + ec.message());
            return false;
        }
        auto& head = parser.get();
        request_.method = std::string(head.method_string());
        request_.target = std::string(head.target());
        http11_ = head.version() >= 11;
        for (const auto& field : head) {
            std::string name(field.name_string());
            for (auto& c : name)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            request_.headers.emplace_back(std::move(name), std::string(field.value()));
        }
        request_.keep_alive = parser.keep_alive();

        auto prepared = prepare_route();
        if (prepared.is_error()) {
            const Error& error = prepared.error();
            (void)send_error_and_close(http_status(error.kind()), error.message());
            return false;
        }
        const Router::Match& match = prepared.value();
        if (!match.route) {
            // The body was not read: answer and close rather than resynchronise.
            (void)send_error_and_close(match.other_method ? 405 : 404, "page not found");
            return false;
        }
        request_.params = match.params;
        const RouteOptions& route_options = match.route->options;
        if (auto length = parser.content_length(); length && *length > route_options.body_limit) {
            (void)send_error_and_close(413, "request body is too large (limit " +
                                                std::to_string(route_options.body_limit) +
                                                " bytes)");
            return false;
        }
        if (route_options.streamed_body) {
            body_parser_.emplace(std::move(parser));
            body_parser_->body_limit(route_options.body_limit);
        } else {
            http::request_parser<http::string_body> body_parser(std::move(parser));
            body_parser.body_limit(route_options.body_limit);
            stream_.set_deadline(deadline_after(options_.body_stall_timeout_ms));
            http::read(stream_, buffer_, body_parser, ec);
            if (ec == http::error::body_limit) {
                (void)send_error_and_close(413, "request body is too large (limit " +
                                                    std::to_string(route_options.body_limit) +
                                                    " bytes)");
                return false;
            }
            if (ec) {
                if (ec != beast::error::timeout && ec != net::error::eof &&
                    ec != http::error::end_of_stream && ec != http::error::partial_message)
                    (void)send_error_and_close(400, "malformed HTTP request: " + ec.message());
                return false;
            }
            request_.body = std::move(body_parser.get().body());
        }
        run_handler(*match.route);
        if (hijacked_)
            return false;
        if (body_parser_ && !body_parser_->is_done())
            close_after_ = true;
        body_parser_.reset();
        return request_.keep_alive && !close_after_ && fd_.valid();
    }

    ErrorOr<Router::Match> prepare_route() {
        std::string_view target = request_.target;
        size_t question = target.find('?');
        std::string raw_path(target.substr(0, question));
        if (raw_path.empty() || raw_path.front() != '/')
            return Error::invalid("malformed request target");
        // Routes match the raw path, so an escaped "/" stays inside its segment; captures
        // are decoded afterwards.
        auto [version, rest] = split_version(raw_path);
        if (!version.empty()) {
            int low = TRY(compare_versions(version, options_.min_api_version));
            int high = TRY(compare_versions(version, options_.max_api_version));
            if (high > 0)
                return Error::invalid("client version " + version +
                                      " is too new. Maximum supported API version is " +
                                      options_.max_api_version);
            if (low < 0)
                return Error::invalid(
                    "client version " + version + " is too old. Minimum supported API version is " +
                    options_.min_api_version + ", please upgrade your client to a newer version");
        }
        request_.api_version = version;
        request_.path = TRY(percent_decode(rest, false));
        if (question != std::string_view::npos) {
            request_.query_pairs = TRY(parse_query(target.substr(question + 1)));
            for (const auto& [key, value] : request_.query_pairs)
                request_.query[key] = value;
        }
        auto match = router_.match(request_.method, rest);
        for (auto& [name, value] : match.params)
            value = TRY(percent_decode(value, false));
        return match;
    }

    void run_handler(const Route& route) {
        std::optional<Error> failure;
        try {
            auto result = route.handler(*this);
            if (result.is_error())
                failure = result.release_error();
        } catch (const std::exception& exception) {
            failure = Error::internal(std::string("unexpected exception: ") + exception.what());
        } catch (...) {
            failure = Error::internal("unexpected exception");
        }
        if (hijacked_)
            return;
        if (failure) {
            log::debug(request_.method + " " + request_.target + ": " + failure->message());
            if (!started_) {
                int status = http_status(failure->kind());
                if (status == 304)
                    (void)respond(304, "", "", {});
                else
                    (void)respond(status, "application/json", error_body(failure->message()), {});
            } else {
                // Mid-stream: the only signal left is to end the connection.
                close_after_ = true;
            }
            return;
        }
        if (!started_)
            (void)respond(204, "", "", {});
        else if (streaming_ && !finished_)
            (void)end_stream();
    }

    std::string response_head(int status, std::string_view content_type,
                              const HeaderList& extra_headers) {
        std::string head = "HTTP/1.1 " + std::to_string(status) + " ";
        head += reason_phrase(status);
        head += "\r\n";
        for (const auto& [name, value] : options_.common_headers)
            head += name + ": " + value + "\r\n";
        if (!content_type.empty()) {
            head += "Content-Type: ";
            head += content_type;
            head += "\r\n";
        }
        for (const auto& [name, value] : extra_headers)
            head += name + ": " + value + "\r\n";
        if (!request_.keep_alive || close_after_)
            head += "Connection: close\r\n";
        return head;
    }

    ErrorOr<void> send_error_and_close(int status, const std::string& message) {
        close_after_ = true;
        request_.keep_alive = false;
        if (started_)
            return {};
        return respond(status, "application/json", error_body(message), {});
    }

    ErrorOr<void> send_all(std::string_view data) {
        while (!data.empty()) {
            if (!fd_)
                return Error{ErrorKind::unavailable, "connection closed"};
            ssize_t n = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
            if (n > 0) {
                data.remove_prefix(static_cast<size_t>(n));
                continue;
            }
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                pollfd entry{fd_.get(), POLLOUT, 0};
                int ready = ::poll(&entry, 1, options_.write_stall_timeout_ms);
                if (ready == 0) {
                    close_after_ = true;
                    return Error{ErrorKind::unavailable, "client stopped reading"};
                }
                continue;
            }
            close_after_ = true;
            return Error{ErrorKind::unavailable, "client went away"};
        }
        return {};
    }

    bool wait_readable(int timeout_ms) {
        pollfd entry{fd_.get(), POLLIN, 0};
        while (true) {
            int ready = ::poll(&entry, 1, timeout_ms);
            if (ready < 0 && errno == EINTR)
                continue;
            return ready > 0;
        }
    }

    void reset_request_state() {
        request_ = Request{};
        started_ = streaming_ = finished_ = chunked_ = false;
        close_after_ = false;
        body_parser_.reset();
    }

    HttpServer& server_;
    const Router& router_;
    const ServerOptions& options_;
    UniqueFd fd_;
    SocketStream stream_;
    beast::flat_buffer buffer_;
    Request request_;
    std::optional<http::request_parser<http::buffer_body>> body_parser_;
    bool http11_ = true;
    bool started_ = false;
    bool streaming_ = false;
    bool finished_ = false;
    bool chunked_ = false;
    // Also set by a body-reading thread (image load) while the handler writes.
    std::atomic<bool> close_after_ = false;
    bool hijacked_ = false;
};

}  // namespace

HttpServer::HttpServer(const Router& router, ServerOptions options)
    : router_(router),
      options_(std::move(options)),
      stop_event_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

HttpServer::~HttpServer() {
    std::unique_lock lock(mutex_);
    stopping_ = true;
    for (int fd : open_fds_)
        ::shutdown(fd, SHUT_RDWR);
    idle_.wait(lock, [&] { return threads_ == 0; });
}

void HttpServer::stop() {
    uint64_t one = 1;
    (void)!::write(stop_event_.get(), &one, sizeof(one));
}

size_t HttpServer::active_connections() const {
    std::lock_guard lock(mutex_);
    return threads_;
}

void HttpServer::register_fd(int fd) {
    std::lock_guard lock(mutex_);
    open_fds_.insert(fd);
    if (stopping_)
        ::shutdown(fd, SHUT_RDWR);
}

void HttpServer::unregister_fd(int fd) {
    std::lock_guard lock(mutex_);
    open_fds_.erase(fd);
}

void HttpServer::serve_connection(UniqueFd fd) {
    {
        std::lock_guard lock(mutex_);
        ++threads_;
    }
    register_fd(fd.get());
    {
        Connection connection(*this, router_, options_, std::move(fd));
        connection.run();
    }
    std::lock_guard lock(mutex_);
    --threads_;
    idle_.notify_all();
}

ErrorOr<void> HttpServer::serve(int listen_fd, int extra_stop_fd) {
    if (!stop_event_)
        return Error::from_errno("eventfd", errno);
    set_nonblocking(listen_fd, true);
    while (true) {
        pollfd entries[3] = {
            {listen_fd, POLLIN, 0}, {stop_event_.get(), POLLIN, 0}, {extra_stop_fd, POLLIN, 0}};
        int ready = ::poll(entries, extra_stop_fd >= 0 ? 3 : 2, -1);
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            return Error::from_errno("poll", errno);
        }
        if (entries[1].revents || (extra_stop_fd >= 0 && entries[2].revents))
            break;
        if (!(entries[0].revents & POLLIN))
            continue;
        int accepted = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (accepted < 0) {
            if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE) {
                // Out of fds: back off instead of spinning on the pending connection.
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
                continue;
            }
            return Error::from_errno("accept", errno);
        }
        UniqueFd connection(accepted);
        {
            std::lock_guard lock(mutex_);
            if (threads_ >= options_.max_connections) {
                const std::string body = error_body("too many connections");
                const std::string busy =
                    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                    "Connection: close\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body;
                (void)!::send(connection.get(), busy.data(), busy.size(), MSG_NOSIGNAL);
                continue;
            }
            ++threads_;
        }
        try {
            std::thread([this, fd = connection.release()]() mutable {
                register_fd(fd);
                {
                    Connection served(*this, router_, options_, UniqueFd(fd));
                    served.run();
                }
                std::lock_guard lock(mutex_);
                --threads_;
                idle_.notify_all();
            }).detach();
        } catch (const std::system_error& error) {
            std::lock_guard lock(mutex_);
            --threads_;
            log::debug(std::string("cannot start a connection thread: ") + error.what());
        }
    }
    std::unique_lock lock(mutex_);
    stopping_ = true;
    for (int fd : open_fds_)
        ::shutdown(fd, SHUT_RDWR);
    idle_.wait_for(lock, std::chrono::seconds(2), [&] { return threads_ == 0; });
    return {};
}

}  // namespace corral::api
