// The HTTP vocabulary the API handlers speak: a parsed request and the response side of one
// exchange. No Boost here: only http_server.cc sees Beast, which keeps compile times and the
// handlers' dependencies small.
#pragma once

#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/fd.h"

namespace corral::api {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Request {
    std::string method;       // "GET", "HEAD", "POST", "DELETE", ...
    std::string target;       // as sent: "/v1.41/containers/json?all=1"
    std::string path;         // decoded, without query and version prefix: "/containers/json"
    std::string api_version;  // "1.41" from the "/v1.41" prefix; empty without one
    std::map<std::string, std::string> query;  // decoded; the last of repeated keys wins
    std::vector<std::pair<std::string, std::string>> query_pairs;  // all, in order
    HeaderList headers;                                            // names lowercased
    std::map<std::string, std::string> params;  // path pattern captures: "id", "name"
    std::string body;                           // the whole body, for routes that buffer it
    bool keep_alive = true;

    // The value of a header (name in lowercase), or "" when absent.
    std::string header(std::string_view name) const;
    // The value of a query parameter, or "" when absent.
    std::string query_value(const std::string& key) const;
    bool has_query(const std::string& key) const { return query.count(key) != 0; }
    // Every value of a repeated parameter ("names=a&names=b").
    std::vector<std::string> query_values(std::string_view key) const;
    // "Connection: Upgrade" with "Upgrade: tcp": the docker client's hijack request.
    bool wants_upgrade() const;
};

// A hijacked connection: the raw socket and any bytes read past the request.
struct HijackedConnection {
    UniqueFd fd;
    std::string buffered_input;
};

// The response side of one request, implemented by the server. A handler either answers once
// (respond), streams (begin_stream, write, end_stream) or takes the connection (hijack).
class Exchange {
  public:
    virtual ~Exchange() = default;
    virtual const Request& request() const = 0;

    // A complete response. HEAD requests get the headers only.
    virtual ErrorOr<void> respond(int status, std::string_view content_type, std::string_view body,
                                  const HeaderList& extra_headers = {}) = 0;
    // A streamed response: chunked transfer encoding, each write sent at once.
    virtual ErrorOr<void> begin_stream(int status, std::string_view content_type,
                                       const HeaderList& extra_headers = {}) = 0;
    virtual ErrorOr<void> write(std::string_view data) = 0;
    virtual ErrorOr<void> end_stream() = 0;
    // A response whose body the caller writes straight to the returned socket (blocking), ended
    // by closing the connection: for large bodies produced by code that writes to an fd
    // (image save), without a copy through the server.
    virtual ErrorOr<int> begin_unframed(int status, std::string_view content_type) = 0;
    // True once anything of the response was sent (an error can no longer become a status).
    virtual bool response_started() const = 0;

    // For routes with a streamed body: reads the next bytes of the request body; 0 at its end.
    // Fails with too_large past the route's limit.
    virtual ErrorOr<size_t> read_body(std::span<char> buffer) = 0;

    // Takes the connection away from the server: nothing more is read or written by it. The
    // caller writes the response head itself (see upgrade_response_head).
    virtual ErrorOr<HijackedConnection> hijack() = 0;

    // The client socket, for hangup detection (poll POLLRDHUP) while a handler blocks.
    virtual int socket_fd() const = 0;
};

// The response head a hijacking handler writes: "101 UPGRADED" with "Upgrade: tcp" when the
// client asked for an upgrade, else "200 OK"; the stream's content type either way.
std::string upgrade_response_head(bool upgrade, std::string_view content_type);

// "200 OK"-style reason phrases for the statuses the API uses.
std::string_view reason_phrase(int status);

}  // namespace corral::api
