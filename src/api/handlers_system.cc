// /_ping, /version, /info and /events.
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "api/api.h"
#include "api/json_out.h"
#include "api/query.h"
#include "base/sys.h"

namespace corral::api {

namespace {

using nlohmann::json;

std::string kernel_release() {
    utsname names{};
    if (::uname(&names) != 0)
        return "";
    return names.release;
}

std::string host_name(const DaemonInfo& info) {
    if (!info.name.empty())
        return info.name;
    char name[256] = {};
    if (::gethostname(name, sizeof(name) - 1) != 0)
        return "";
    return name;
}

ErrorOr<void> ping(Exchange& exchange) {
    return exchange.respond(
        200, "text/plain; charset=utf-8", "OK",
        {{"Cache-Control", "no-cache, no-store, must-revalidate"}, {"Pragma", "no-cache"}});
}

ErrorOr<void> version(Exchange& exchange, const ApiContext& context) {
    const auto& info = context.info;
    std::string kernel = kernel_release();
    json details = {{"ApiVersion", api_version},
                    {"MinAPIVersion", min_api_version},
                    {"GitCommit", ""},
                    {"GoVersion", ""},
                    {"Os", "linux"},
                    {"Arch", "amd64"},
                    {"KernelVersion", kernel},
                    {"BuildTime", ""},
                    {"Experimental", "false"}};
    json body = {
        {"Platform", {{"Name", "CorralOS system-docker " + info.version}}},
        {"Components",
         json::array({{{"Name", "Engine"}, {"Version", info.version}, {"Details", details}}})},
        {"Version", info.version},
        {"ApiVersion", api_version},
        {"MinAPIVersion", min_api_version},
        {"GitCommit", ""},
        {"GoVersion", ""},
        {"Os", "linux"},
        {"Arch", "amd64"},
        {"KernelVersion", kernel},
        {"BuildTime", ""},
    };
    return exchange.respond(200, "application/json", dump(body) + "\n");
}

ErrorOr<void> info(Exchange& exchange, ApiContext& context) {
    engine::ListOptions all;
    all.all = true;
    auto containers = TRY(context.engine.list(all));
    int running = 0, paused = 0, stopped = 0;
    for (const auto& container : containers) {
        if (container.state.status == engine::Status::paused)
            ++paused;
        else if (container.state.status == engine::Status::running ||
                 container.state.status == engine::Status::restarting)
            ++running;
        else
            ++stopped;
    }
    struct sysinfo system {};
    ::sysinfo(&system);
    int64_t memory = static_cast<int64_t>(system.totalram) * system.mem_unit;
    const auto& daemon = context.info;
    json body = {
        {"ID", ""},
        {"Containers", containers.size()},
        {"ContainersRunning", running},
        {"ContainersPaused", paused},
        {"ContainersStopped", stopped},
        {"Images", context.store.list().size()},
        {"Driver", "overlay2"},
        {"DriverStatus", json::array({json::array({"Backing Filesystem", "overlayfs"})})},
        {"Plugins",
         {{"Volume", json::array({"local"})},
          {"Network", json::array({"host", "null"})},
          {"Authorization", nullptr},
          {"Log", json::array({"json-file"})}}},
        {"MemoryLimit", true},
        {"SwapLimit", true},
        {"CpuCfsPeriod", true},
        {"CpuCfsQuota", true},
        {"CPUShares", true},
        {"CPUSet", true},
        {"PidsLimit", true},
        {"IPv4Forwarding", false},
        {"Debug", false},
        {"NFd", 0},
        {"OomKillDisable", false},
        {"NGoroutines", 0},
        {"SystemTime", rfc3339_nano(sys::realtime_ns())},
        {"LoggingDriver", "json-file"},
        {"CgroupDriver", "cgroupfs"},
        {"CgroupVersion", "2"},
        {"NEventsListener", 0},
        {"KernelVersion", kernel_release()},
        {"OperatingSystem", "CorralOS"},
        {"OSVersion", daemon.version},
        {"OSType", "linux"},
        {"Architecture", "x86_64"},
        {"IndexServerAddress", "https://index.docker.io/v1/"},
        {"RegistryConfig", registry_config_json(image::list_insecure_registries(
                               context.store.insecure_registries()))},
        {"NCPU", ::sysconf(_SC_NPROCESSORS_ONLN)},
        {"MemTotal", memory},
        {"DockerRootDir", daemon.data_root},
        {"HttpProxy", ""},
        {"HttpsProxy", ""},
        {"NoProxy", ""},
        {"Name", host_name(daemon)},
        {"Labels", json::array()},
        {"ExperimentalBuild", false},
        {"ServerVersion", daemon.version},
        {"Runtimes", {{"crun", {{"path", "crun"}}}}},
        {"DefaultRuntime", "crun"},
        {"Swarm",
         {{"NodeID", ""},
          {"NodeAddr", ""},
          {"LocalNodeState", "inactive"},
          {"ControlAvailable", false},
          {"Error", ""},
          {"RemoteManagers", nullptr}}},
        {"LiveRestoreEnabled", true},
        {"Isolation", ""},
        {"InitBinary", ""},
        {"SecurityOptions", json::array({"name=seccomp,profile=default", "name=cgroupns"})},
        {"Warnings", nullptr},
    };
    return exchange.respond(200, "application/json", dump(body) + "\n");
}

ErrorOr<engine::EventFilters> event_filters(const Request& request) {
    auto filters = TRY(parse_filters(request.query_value("filters")));
    TRY(check_filter_keys(filters, {"type", "event", "container", "image", "label"}));
    engine::EventFilters decoded;
    decoded.types = filters["type"];
    decoded.actions = filters["event"];
    decoded.containers = filters["container"];
    decoded.images = filters["image"];
    decoded.labels = filters["label"];
    return decoded;
}

ErrorOr<void> events(Exchange& exchange, ApiContext& context) {
    const auto& request = exchange.request();
    int64_t since = TRY(parse_timestamp(request.query_value("since"), "since"));
    int64_t until = TRY(parse_timestamp(request.query_value("until"), "until"));
    if (since > 0 && until > 0 && until < since)
        return Error::invalid("`since` time (" + request.query_value("since") +
                              ") cannot be after `until` time (" + request.query_value("until") +
                              ")");
    auto filters = TRY(event_filters(request));
    auto subscription = TRY(context.engine.subscribe(since, until, std::move(filters)));
    TRY(exchange.begin_stream(200, "application/json"));
    engine::Cancellation cancel{-1, exchange.socket_fd()};
    while (true) {
        auto next = subscription->next(cancel);
        if (next.is_error()) {
            if (next.error().kind() == ErrorKind::unavailable)
                return {};  // the client went away
            return next.release_error();
        }
        if (!next.value())
            break;
        TRY(exchange.write(dump(event_json(*next.value())) + "\n"));
    }
    return exchange.end_stream();
}

}  // namespace

void add_system_routes(Router& router, ApiContext& context) {
    router.add("GET", "/_ping", ping);
    router.add("HEAD", "/_ping", ping);
    router.add("GET", "/version", [&context](Exchange& e) { return version(e, context); });
    router.add("GET", "/info", [&context](Exchange& e) { return info(e, context); });
    router.add("GET", "/events", [&context](Exchange& e) { return events(e, context); });
}

Router build_router(ApiContext& context) {
    Router router;
    add_system_routes(router, context);
    add_container_routes(router, context);
    add_stream_routes(router, context);
    add_image_routes(router, context);
    return router;
}

ServerOptions api_server_options(const DaemonInfo& info) {
    ServerOptions options;
    // `docker run` holds up to three connections (attach, wait, the rest): room for a few
    // hundred concurrent runs.
    options.max_connections = 1024;
    options.min_api_version = min_api_version;
    options.max_api_version = api_version;
    options.common_headers = {{"Api-Version", api_version},
                              {"Builder-Version", "1"},
                              {"Docker-Experimental", "false"},
                              {"Ostype", "linux"},
                              {"Server", "CorralOS-system-docker/" + info.version + " (linux)"}};
    return options;
}

}  // namespace corral::api
