// A small blocking HTTP/1.1 client, over a unix socket (or TCP on loopback), as the Docker Engine
// API is spoken: JSON bodies, streamed chunked responses, request bodies streamed from a file
// descriptor, and connections upgraded to raw streams.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/fd.h"
#include "cli/http_client_response.h"

namespace corral::cli::http {

// Where the daemon listens: "unix:///run/x.sock" or "tcp://127.0.0.1:2375".
struct Endpoint {
    enum class Kind { unix_socket, tcp } kind = Kind::unix_socket;
    std::string path;  // unix
    std::string host;  // tcp
    uint16_t port = 0;
    std::string text;  // as given, for messages
};
ErrorOr<Endpoint> parse_endpoint(std::string_view text);

struct Request {
    std::string method = "GET";
    std::string target = "/";  // path and query
    std::vector<Header> headers;
    std::string body;
    // When valid, the body is read from this fd instead: sent with Content-Length when
    // `body_length` is known, chunked otherwise.
    int body_fd = -1;
    std::optional<uint64_t> body_length;
    // Asks the server to hand the connection over to a raw stream (Upgrade: tcp).
    bool upgrade = false;
};

// Serializes the request line and headers (the body follows separately).
std::string serialize_head(const Request& request, std::string_view host_header);

// Bytes of a body longer than this are not collected into memory by read_body().
inline constexpr size_t max_collected_body = 64 << 20;

class Connection {
  public:
    static ErrorOr<Connection> open(const Endpoint& endpoint);

    // Sends the request, including its body.
    ErrorOr<void> send(const Request& request);
    // Reads until the response head is complete.
    ErrorOr<const ResponseHead*> read_head();
    // Next piece of decoded body; nullopt at the end of the body.
    ErrorOr<std::optional<std::string>> read_body_some();
    // The whole remaining body, at most `max_bytes`.
    ErrorOr<std::string> read_body(size_t max_bytes = max_collected_body);

    // The response was read to its end and the server keeps the connection open (no
    // "Connection: close"): another request may follow on it (after prepare_next()).
    bool reusable() const;
    // Readies the connection for its next request and response.
    void prepare_next();
    // A kept connection the server has not closed (nothing to read, no hang-up): sending on
    // one it closed would fail (and raise SIGPIPE in a program that does not ignore it).
    bool still_open() const;

    // After a 101 (or 200) response to an upgrade: the socket, and stream bytes already read.
    int fd() const { return fd_.get(); }
    UniqueFd take_fd() { return std::move(fd_); }
    std::string take_leftover() { return std::exchange(leftover_, {}); }

  private:
    explicit Connection(UniqueFd fd) : fd_(std::move(fd)) {}
    ErrorOr<size_t> fill();  // reads more bytes from the socket into leftover_
    ErrorOr<void> send_body_from_fd(const Request& request);

    UniqueFd fd_;
    ResponseParser parser_;
    std::string leftover_;  // bytes read but not yet given to the parser
    bool eof_ = false;
    bool head_only_ = false;
};

}  // namespace corral::cli::http
