#include "cli/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <cctype>
#include <charconv>
#include <cstring>

#include "base/sys.h"

namespace corral::cli::http {

namespace {

constexpr size_t read_size = 64 * 1024;

ErrorOr<UniqueFd> tcp_connect(const Endpoint& endpoint) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(endpoint.port);
    std::string host = endpoint.host == "localhost" ? "127.0.0.1" : endpoint.host;
    if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1)
        return Error::invalid("only numeric IPv4 addresses are supported: " + endpoint.host);
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd)
        return Error::from_errno("socket", errno);
    int result;
    do {
        result = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address);
    } while (result < 0 && errno == EINTR);
    if (result < 0)
        return Error::from_errno("connect", endpoint.text, errno);
    int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

}  // namespace

ErrorOr<Endpoint> parse_endpoint(std::string_view text) {
    Endpoint endpoint;
    endpoint.text = std::string(text);
    if (text.starts_with("unix://")) {
        endpoint.kind = Endpoint::Kind::unix_socket;
        endpoint.path = std::string(text.substr(7));
        if (endpoint.path.empty() || endpoint.path.front() != '/')
            return Error::invalid("unix socket path must be absolute: " + endpoint.text);
        return endpoint;
    }
    if (text.starts_with("tcp://")) {
        std::string_view rest = text.substr(6);
        if (size_t slash = rest.find('/'); slash != std::string_view::npos)
            rest = rest.substr(0, slash);
        size_t colon = rest.rfind(':');
        if (colon == std::string_view::npos || colon == 0)
            return Error::invalid("tcp host needs HOST:PORT: " + endpoint.text);
        std::string_view port_text = rest.substr(colon + 1);
        auto [end, error] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), endpoint.port);
        if (error != std::errc() || end != port_text.data() + port_text.size() ||
            endpoint.port == 0)
            return Error::invalid("bad port in " + endpoint.text);
        endpoint.kind = Endpoint::Kind::tcp;
        endpoint.host = std::string(rest.substr(0, colon));
        return endpoint;
    }
    return Error::invalid("unsupported host (want unix:///PATH or tcp://HOST:PORT): " +
                          endpoint.text);
}

std::string serialize_head(const Request& request, std::string_view host_header) {
    std::string head = request.method + " " + request.target + " HTTP/1.1\r\n";
    head += "Host: ";
    head += host_header;
    head += "\r\nUser-Agent: system-docker/" CORRAL_VERSION "\r\n";
    bool has_body = request.body_fd >= 0 || !request.body.empty();
    if (request.body_fd >= 0 && !request.body_length) {
        head += "Transfer-Encoding: chunked\r\n";
    } else if (has_body || request.method == "POST" || request.method == "PUT") {
        uint64_t length = request.body_fd >= 0 ? *request.body_length : request.body.size();
        head += "Content-Length: " + std::to_string(length) + "\r\n";
    }
    if (request.upgrade)
        head += "Connection: Upgrade\r\nUpgrade: tcp\r\n";
    for (const auto& header : request.headers)
        head += header.name + ": " + header.value + "\r\n";
    head += "\r\n";
    return head;
}

ErrorOr<Connection> Connection::open(const Endpoint& endpoint) {
    if (endpoint.kind == Endpoint::Kind::tcp)
        return Connection(TRY(tcp_connect(endpoint)));
    return Connection(TRY(sys::unix_connect(endpoint.path)));
}

ErrorOr<void> Connection::send_body_from_fd(const Request& request) {
    std::string buffer(read_size, '\0');
    bool chunked = !request.body_length;
    uint64_t sent = 0;
    for (;;) {
        size_t n = TRY_CONTEXT(sys::read(request.body_fd, buffer), "read request body");
        if (n == 0)
            break;
        std::string_view piece(buffer.data(), n);
        if (chunked) {
            char size_line[32];
            int length = std::snprintf(size_line, sizeof size_line, "%zx\r\n", n);
            TRY(sys::write_all(fd_.get(), std::string_view(size_line, length)));
            TRY(sys::write_all(fd_.get(), piece));
            TRY(sys::write_all(fd_.get(), "\r\n"));
        } else {
            if (sent + n > *request.body_length)
                return Error::invalid("request body grew while it was being sent");
            TRY(sys::write_all(fd_.get(), piece));
        }
        sent += n;
    }
    if (chunked)
        TRY(sys::write_all(fd_.get(), "0\r\n\r\n"));
    else if (sent != *request.body_length)
        return Error::invalid("request body shrank while it was being sent");
    return {};
}

ErrorOr<void> Connection::send(const Request& request) {
    head_only_ = request.method == "HEAD";
    if (head_only_)
        parser_.expect_no_body();
    std::string head = serialize_head(request, "docker");
    if (request.body_fd < 0) {
        head += request.body;
        TRY_CONTEXT(sys::write_all(fd_.get(), head), "send request");
        return {};
    }
    TRY_CONTEXT(sys::write_all(fd_.get(), head), "send request");
    TRY(send_body_from_fd(request));
    return {};
}

ErrorOr<size_t> Connection::fill() {
    if (eof_)
        return size_t{0};
    char buffer[read_size];
    ssize_t n;
    do {
        n = ::recv(fd_.get(), buffer, sizeof buffer, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return Error::from_errno("recv", errno);
    if (n == 0)
        eof_ = true;
    leftover_.append(buffer, static_cast<size_t>(n));
    return static_cast<size_t>(n);
}

ErrorOr<const ResponseHead*> Connection::read_head() {
    std::string ignored;
    while (!parser_.head_complete()) {
        if (leftover_.empty()) {
            size_t n = TRY(fill());
            if (n == 0)
                return Error(ErrorKind::unavailable, "connection closed before a response");
        }
        // Feed the head bytes only; body bytes stay in leftover_ for read_body_some().
        size_t newline = leftover_.find('\n');
        size_t take = newline == std::string::npos ? leftover_.size() : newline + 1;
        size_t consumed = TRY(parser_.feed(std::string_view(leftover_).substr(0, take), ignored));
        leftover_.erase(0, consumed);
    }
    return &parser_.head();
}

ErrorOr<std::optional<std::string>> Connection::read_body_some() {
    TRY(read_head());
    std::string body;
    while (body.empty()) {
        if (parser_.message_complete())
            return std::optional<std::string>();
        if (leftover_.empty()) {
            size_t n = TRY(fill());
            if (n == 0) {
                TRY(parser_.finish());
                break;
            }
        }
        size_t consumed = TRY(parser_.feed(leftover_, body));
        leftover_.erase(0, consumed);
    }
    if (body.empty())
        return std::optional<std::string>();
    return std::optional<std::string>(std::move(body));
}

ErrorOr<std::string> Connection::read_body(size_t max_bytes) {
    std::string body;
    for (;;) {
        auto piece = TRY(read_body_some());
        if (!piece)
            return body;
        if (body.size() + piece->size() > max_bytes)
            return Error(ErrorKind::too_large, "HTTP response body too large");
        body += *piece;
    }
}

bool Connection::reusable() const {
    if (!fd_ || eof_ || !leftover_.empty() || !parser_.message_complete())
        return false;
    auto connection = parser_.head().headers.get("Connection");
    if (!connection)
        return true;
    std::string value(*connection);
    for (auto& character : value)
        character = static_cast<char>(std::tolower(static_cast<unsigned char>(character)));
    return value.find("close") == std::string::npos && value.find("upgrade") == std::string::npos;
}

bool Connection::still_open() const {
    pollfd check{fd_.get(), POLLIN | POLLRDHUP, 0};
    return fd_ && ::poll(&check, 1, 0) == 0;
}

void Connection::prepare_next() {
    parser_ = ResponseParser();
    head_only_ = false;
}

}  // namespace corral::cli::http
