// Fuzzes the HTTP server with raw bytes: they are written into one end of a socket pair and
// the server serves the other end with a small router (echo, JSON, streamed body, hijack).
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <thread>

#include "api/http_server.h"
#include "api/json_fields.h"
#include "base/sys.h"

namespace {

corral::api::Router make_router() {
    using namespace corral;
    using namespace corral::api;
    Router router;
    router.add("GET", "/_ping", [](Exchange& e) { return e.respond(200, "text/plain", "OK"); });
    router.add(
        "POST", "/echo", [](Exchange& e) { return e.respond(200, "text/plain", e.request().body); },
        RouteOptions{256});
    router.add("POST", "/containers/create", [](Exchange& e) -> ErrorOr<void> {
        auto document = TRY(parse_json_body(e.request().body));
        return e.respond(201, "application/json", document.dump());
    });
    router.add(
        "POST", "/images/load",
        [](Exchange& e) -> ErrorOr<void> {
            char buffer[64];
            while (TRY(e.read_body(buffer))) {
            }
            TRY(e.begin_stream(200, "application/json"));
            TRY(e.write("{}\n"));
            return e.end_stream();
        },
        RouteOptions{4096, true});
    router.add("POST", "/containers/{id}/attach", [](Exchange& e) -> ErrorOr<void> {
        auto connection = TRY(e.hijack());
        return sys::write_all(connection.fd.get(), upgrade_response_head(true, "x"));
    });
    return router;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static corral::api::Router router = make_router();
    static bool initialised = [] {
        ::signal(SIGPIPE, SIG_IGN);
        return true;
    }();
    (void)initialised;
    corral::api::ServerOptions options;
    options.header_timeout_ms = 200;
    options.body_stall_timeout_ms = 200;
    options.idle_timeout_ms = 200;
    options.write_stall_timeout_ms = 200;
    corral::api::HttpServer server(router, options);
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
        return 0;
    corral::UniqueFd client(pair[0]);
    // Drain responses so the server never blocks on a full socket.
    std::thread drain([fd = client.get(), data, size] {
        (void)corral::sys::write_all(fd,
                                     std::string_view(reinterpret_cast<const char*>(data), size));
        ::shutdown(fd, SHUT_WR);
        char buffer[4096];
        while (::read(fd, buffer, sizeof(buffer)) > 0) {
        }
    });
    server.serve_connection(corral::UniqueFd(pair[1]));
    ::shutdown(client.get(), SHUT_RDWR);
    drain.join();
    return 0;
}
