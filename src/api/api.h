// The Docker Engine API of the system engine: every route, bound to an engine and an image
// store. The daemon (daemon.h) serves this router with HttpServer.
#pragma once

#include <cstdint>
#include <string>

#include "api/http_server.h"
#include "api/router.h"
#include "engine/engine.h"
#include "image/store.h"

namespace corral::api {

// What /version and /info report about this daemon.
struct DaemonInfo {
    std::string name;  // host name
    std::string data_root = "/var/lib/system-docker";
    std::string exec_root = "/var/run/system-docker";
    std::string version = CORRAL_VERSION;
    int64_t started_ns = 0;
};

inline constexpr const char* api_version = "1.41";
inline constexpr const char* min_api_version = "1.12";

struct ApiContext {
    engine::Engine& engine;
    image::Store& store;
    DaemonInfo info;
};

// The routes of each area, added to `router`; `context` must outlive the router.
void add_system_routes(Router& router, ApiContext& context);
void add_container_routes(Router& router, ApiContext& context);
void add_stream_routes(Router& router, ApiContext& context);  // logs, attach, wait, exec
void add_image_routes(Router& router, ApiContext& context);

Router build_router(ApiContext& context);
// The server settings of the API: versions and the headers docker sends on every response.
ServerOptions api_server_options(const DaemonInfo& info);

}  // namespace corral::api
