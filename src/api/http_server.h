// The HTTP/1.1 server of the API: a unix socket, one thread per connection with blocking I/O
// (long engine calls block only their connection), keep-alive, chunked streaming, and the
// connection hijack of attach and exec.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "api/http.h"
#include "api/router.h"
#include "base/error.h"
#include "base/fd.h"

namespace corral::api {

struct ServerOptions {
    size_t max_connections = 256;
    size_t header_limit = 64 << 10;  // request line and headers (X-Registry-Auth is long)
    // The request head must be complete this long after its first byte (slowloris).
    int header_timeout_ms = 30'000;
    // A kept-alive connection with no new request for this long is closed.
    int idle_timeout_ms = 300'000;
    // A request body that makes no progress for this long is abandoned.
    int body_stall_timeout_ms = 60'000;
    // A response the client stops reading for this long is abandoned.
    int write_stall_timeout_ms = 300'000;
    // API versions accepted in the "/vX.Y" prefix.
    std::string min_api_version = "1.12";
    std::string max_api_version = "1.41";
    // Headers on every response (Api-Version, Server, Ostype...).
    HeaderList common_headers;
};

class HttpServer {
  public:
    HttpServer(const Router& router, ServerOptions options);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Accepts connections on `listen_fd` until stop() or until `extra_stop_fd` (e.g. a
    // signalfd; -1 for none) becomes readable. Then closes the connections it still serves
    // (hijacked ones belong to their handlers) and waits for their threads.
    ErrorOr<void> serve(int listen_fd, int extra_stop_fd = -1);
    // Thread-safe; async-signal-safe (one write to an eventfd).
    void stop();

    // Serves one connection on the calling thread until it closes (tests, fuzzing).
    void serve_connection(UniqueFd fd);
    // Connections being served now.
    size_t active_connections() const;

    // Connection registry for shutdown (internal, used by the connection code).
    void register_fd(int fd);
    void unregister_fd(int fd);

  private:
    const Router& router_;
    ServerOptions options_;
    UniqueFd stop_event_;
    mutable std::mutex mutex_;
    std::condition_variable idle_;
    std::set<int> open_fds_;
    size_t threads_ = 0;
    bool stopping_ = false;
};

}  // namespace corral::api
