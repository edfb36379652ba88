// Container lifecycle routes: create, list, inspect, start, stop, restart, kill, remove,
// pause, unpause, rename, resize, top.
#include "api/api.h"
#include "api/create_body.h"
#include "api/json_out.h"
#include "api/query.h"
#include "base/sys.h"

namespace corral::api {

namespace {

using nlohmann::json;

const std::string& id_param(const Exchange& exchange) {
    return exchange.request().params.at("id");
}

ErrorOr<void> respond_json(Exchange& exchange, int status, const json& body) {
    return exchange.respond(status, "application/json", dump(body) + "\n");
}

ErrorOr<std::optional<int>> optional_timeout(const Request& request) {
    if (!request.has_query("t") || request.query_value("t").empty())
        return std::optional<int>();
    int64_t value = TRY(parse_int(request.query_value("t"), "t", -1, 86400 * 365));
    return std::optional<int>(static_cast<int>(value));
}

ErrorOr<void> create(Exchange& exchange, ApiContext& context) {
    const auto& request = exchange.request();
    std::string platform = request.query_value("platform");
    if (!platform.empty() && platform != "linux" && platform != "linux/amd64")
        return Error::invalid("platform " + platform + " is not supported by this engine");
    auto create_request = TRY(parse_create_body(request.body, request.query_value("name")));
    auto result = TRY(context.engine.create_container(std::move(create_request)));
    return respond_json(exchange, 201, {{"Id", result.id}, {"Warnings", result.warnings}});
}

const std::set<std::string> known_statuses = {"created", "restarting", "running", "removing",
                                              "paused",  "exited",     "dead"};

ErrorOr<void> list(Exchange& exchange, ApiContext& context) {
    const auto& request = exchange.request();
    engine::ListOptions options;
    options.all = parse_bool(request.query_value("all"));
    if (request.has_query("limit") && !request.query_value("limit").empty())
        options.limit =
            static_cast<int>(TRY(parse_int(request.query_value("limit"), "limit", -1, 1 << 30)));
    auto filters = TRY(parse_filters(request.query_value("filters")));
    TRY(check_filter_keys(filters, {"label", "name", "status", "id", "ancestor"}));
    options.labels = filters["label"];
    options.names = filters["name"];
    options.ids = filters["id"];
    options.ancestors = filters["ancestor"];
    options.statuses = filters["status"];
    for (const auto& status : options.statuses) {
        if (!known_statuses.count(status))
            return Error::invalid("invalid filter 'status=" + status + "'");
    }
    // Asking for a status other than running implies all containers, as docker does.
    if (!options.statuses.empty())
        options.all = true;
    auto containers = TRY(context.engine.list(options));
    int64_t now = sys::realtime_ns();
    json body = json::array();
    for (const auto& container : containers)
        body.push_back(container_summary_json(container, now));
    return respond_json(exchange, 200, body);
}

ErrorOr<void> inspect(Exchange& exchange, ApiContext& context) {
    auto container = TRY(context.engine.inspect(id_param(exchange)));
    return respond_json(exchange, 200, container_inspect_json(container));
}

ErrorOr<void> start(Exchange& exchange, ApiContext& context) {
    const auto& request = exchange.request();
    if (!request.query_value("checkpoint").empty())
        return Error::invalid("checkpoints are not supported by this engine");
    // Old clients sent a HostConfig here; docker refuses it since API 1.24 too.
    auto body = request.body;
    if (body.find_first_not_of(" \t\r\n") != std::string::npos && body != "null" && body != "{}")
        return Error::invalid("starting a container with a body (HostConfig) is not supported");
    TRY(context.engine.start(id_param(exchange)));
    return exchange.respond(204, "", "");
}

ErrorOr<void> stop(Exchange& exchange, ApiContext& context) {
    const auto& request = exchange.request();
    auto timeout = TRY(optional_timeout(request));
    TRY(context.engine.stop(id_param(exchange), timeout, request.query_value("signal")));
    return exchange.respond(204, "", "");
}

ErrorOr<void> restart(Exchange& exchange, ApiContext& context) {
    auto timeout = TRY(optional_timeout(exchange.request()));
    TRY(context.engine.restart(id_param(exchange), timeout));
    return exchange.respond(204, "", "");
}

ErrorOr<void> kill(Exchange& exchange, ApiContext& context) {
    TRY(context.engine.kill(id_param(exchange), exchange.request().query_value("signal")));
    return exchange.respond(204, "", "");
}

ErrorOr<void> pause(Exchange& exchange, ApiContext& context) {
    TRY(context.engine.pause(id_param(exchange)));
    return exchange.respond(204, "", "");
}

ErrorOr<void> unpause(Exchange& exchange, ApiContext& context) {
    TRY(context.engine.unpause(id_param(exchange)));
    return exchange.respond(204, "", "");
}

ErrorOr<void> remove(Exchange& exchange, ApiContext& context) {
    const auto& request = exchange.request();
    if (parse_bool(request.query_value("link")))
        return Error::invalid("links are not supported by this engine");
    engine::RemoveOptions options;
    options.force = parse_bool(request.query_value("force"));
    options.remove_volumes = parse_bool(request.query_value("v"));
    TRY(context.engine.remove(id_param(exchange), options));
    return exchange.respond(204, "", "");
}

ErrorOr<void> rename(Exchange& exchange, ApiContext& context) {
    std::string name = exchange.request().query_value("name");
    if (name.empty())
        return Error::invalid("new name is required");
    std::string validated = TRY(validate_container_name(name));
    TRY(context.engine.rename(id_param(exchange), validated));
    return exchange.respond(204, "", "");
}

ErrorOr<std::pair<int, int>> terminal_size(const Request& request) {
    int height = static_cast<int>(TRY(parse_int(request.query_value("h"), "h", 0, 65535)));
    int width = static_cast<int>(TRY(parse_int(request.query_value("w"), "w", 0, 65535)));
    return std::pair{height, width};
}

ErrorOr<void> resize(Exchange& exchange, ApiContext& context) {
    auto [height, width] = TRY(terminal_size(exchange.request()));
    TRY(context.engine.resize(id_param(exchange), height, width));
    return exchange.respond(200, "text/plain; charset=utf-8", "");
}

ErrorOr<void> top(Exchange& exchange, ApiContext& context) {
    auto result =
        TRY(context.engine.top(id_param(exchange), exchange.request().query_value("ps_args")));
    return respond_json(exchange, 200,
                        {{"Titles", result.titles}, {"Processes", result.processes}});
}

ErrorOr<void> exec_resize(Exchange& exchange, ApiContext& context) {
    auto [height, width] = TRY(terminal_size(exchange.request()));
    TRY(context.engine.exec_resize(id_param(exchange), height, width));
    return exchange.respond(200, "text/plain; charset=utf-8", "");
}

ErrorOr<void> exec_inspect(Exchange& exchange, ApiContext& context) {
    auto info = TRY(context.engine.exec_inspect(id_param(exchange)));
    return respond_json(exchange, 200, exec_inspect_json(info));
}

ErrorOr<void> exec_create(Exchange& exchange, ApiContext& context) {
    auto config = TRY(parse_exec_body(exchange.request().body));
    auto id = TRY(context.engine.exec_create(id_param(exchange), std::move(config)));
    return respond_json(exchange, 201, {{"Id", id}});
}

}  // namespace

void add_container_routes(Router& router, ApiContext& context) {
    auto bind = [&context](ErrorOr<void> (*handler)(Exchange&, ApiContext&)) {
        return [&context, handler](Exchange& exchange) { return handler(exchange, context); };
    };
    router.add("POST", "/containers/create", bind(create), RouteOptions{max_create_body});
    router.add("GET", "/containers/json", bind(list));
    router.add("GET", "/containers/{id}/json", bind(inspect));
    router.add("POST", "/containers/{id}/start", bind(start));
    router.add("POST", "/containers/{id}/stop", bind(stop));
    router.add("POST", "/containers/{id}/restart", bind(restart));
    router.add("POST", "/containers/{id}/kill", bind(kill));
    router.add("POST", "/containers/{id}/pause", bind(pause));
    router.add("POST", "/containers/{id}/unpause", bind(unpause));
    router.add("DELETE", "/containers/{id}", bind(remove));
    router.add("POST", "/containers/{id}/rename", bind(rename));
    router.add("POST", "/containers/{id}/resize", bind(resize));
    router.add("GET", "/containers/{id}/top", bind(top));
    router.add("POST", "/containers/{id}/exec", bind(exec_create));
    router.add("POST", "/exec/{id}/resize", bind(exec_resize));
    router.add("GET", "/exec/{id}/json", bind(exec_inspect));
}

}  // namespace corral::api
