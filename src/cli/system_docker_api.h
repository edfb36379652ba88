// The Docker Engine API as system-docker uses it: version negotiation over /_ping, JSON calls,
// streamed responses, and hijacked (upgraded) connections. Errors from the daemon carry the
// docker CLI's wording: "Error response from daemon: No such container: x".
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "cli/http_client.h"

namespace corral::cli {

using Json = nlohmann::ordered_json;

// The newest API version this client speaks; older daemons are met at their version.
inline constexpr std::string_view client_api_version = "1.43";
inline constexpr std::string_view default_host = "unix:///var/run/system-docker.sock";

// Picks the lower of our version and the server's ("1.41" < "1.43").
std::string negotiate_version(std::string_view server_version);
// Percent-encodes a query parameter value.
std::string url_encode(std::string_view text);

struct ApiResponse {
    int status = 0;
    std::string body;
};

class DockerApi {
  public:
    // Connects once to ask /_ping for the server's API version; that connection is kept for
    // the following calls.
    static ErrorOr<DockerApi> connect(const std::string& host);

    const std::string& api_version() const { return api_version_; }
    const std::string& host() const { return endpoint_.text; }

    // A request whose whole response is read; a status of 400 and above becomes an error.
    ErrorOr<ApiResponse> call(std::string_view method, std::string_view path,
                              const std::optional<Json>& body = std::nullopt);
    ErrorOr<Json> call_json(std::string_view method, std::string_view path,
                            const std::optional<Json>& body = std::nullopt);
    // Sends the request and reads the head; the caller reads the body as it streams.
    ErrorOr<http::Connection> open_stream(http::Request request);
    // Sends the request and leaves the response unread (for waits that answer later).
    ErrorOr<http::Connection> send_only(http::Request request);
    // An upgraded connection: the response was 101 (or 200 from old daemons), the socket now
    // carries the raw stream.
    ErrorOr<http::Connection> hijack(std::string_view method, std::string_view path,
                                     const std::optional<Json>& body = std::nullopt);
    // The same request, sent only: check_status() later reads its 101.
    ErrorOr<http::Connection> send_hijack(std::string_view method, std::string_view path,
                                          const std::optional<Json>& body = std::nullopt);

    // A request for `path` under the negotiated version ("/containers/json" → "/v1.43/...").
    http::Request request(std::string_view method, std::string_view path,
                          const std::optional<Json>& body = std::nullopt) const;
    // Turns a failed response into the error the docker CLI would print.
    static Error daemon_error(int status, std::string_view body);
    // Makes sure the response head is a success; reads the error body when it is not.
    static ErrorOr<void> check_status(http::Connection& connection);

  private:
    DockerApi(http::Endpoint endpoint, std::string api_version)
        : endpoint_(std::move(endpoint)), api_version_(std::move(api_version)) {}
    ErrorOr<http::Connection> connect_once() const;
    // Keeps a connection whose response was read to its end for the next call.
    void keep_idle(http::Connection connection);
    // The kept connection, if it is still open; the next call then keeps its own.
    std::optional<http::Connection> take_idle();

    http::Endpoint endpoint_;
    std::string api_version_;
    // A kept-alive connection for the next call (the ping's, then each call's): a command
    // of several calls opens one connection for them, not one each. Threads of one command
    // (`ros service logs -f a b`) call at once: one of them takes it, the others connect.
    std::unique_ptr<std::mutex> idle_mutex_ = std::make_unique<std::mutex>();
    std::optional<http::Connection> idle_;
};

// "registry:5000/a/b:tag" → {"registry:5000/a/b", "tag"}; a missing tag is "latest", a
// reference with a digest is kept whole (tag "").
std::pair<std::string, std::string> split_reference(const std::string& reference);

}  // namespace corral::cli
