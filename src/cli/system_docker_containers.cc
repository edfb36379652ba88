// Container commands that are plain API calls: ps, start, stop, restart, kill, rm, wait,
// rename, logs, inspect, top.
#include <unistd.h>

#include <cstdio>
#include <ctime>

#include "cli/system_docker_commands.h"
#include "cli/system_docker_format.h"
#include "cli/system_docker_io.h"
#include "cli/system_docker_rows.h"
#include "cli/system_docker_template.h"

namespace corral::cli {

namespace {

void print_line(const std::string& text) {
    std::printf("%s\n", text.c_str());
}

std::string path_for(std::string_view prefix, const std::string& name, std::string_view suffix) {
    return std::string(prefix) + url_encode(name) + std::string(suffix);
}

std::string json_string(const Json& object, std::string_view key) {
    auto found = object.find(std::string(key));
    if (found == object.end() || !found->is_string())
        return {};
    return found->get<std::string>();
}

int64_t json_integer(const Json& object, std::string_view key) {
    auto found = object.find(std::string(key));
    if (found == object.end() || !found->is_number())
        return 0;
    return found->get<int64_t>();
}

// Applies `action` to each container; errors are printed and the rest still run, as docker
// does. Returns 1 when any failed.
template <typename Action>
ErrorOr<int> for_each_name(CommandContext& context, const std::vector<std::string>& names,
                           Action action) {
    auto* api = TRY(context.api());
    int status = 0;
    for (const auto& name : names) {
        auto result = action(*api, name);
        if (result.is_error()) {
            std::fprintf(stderr, "%s\n", result.error().message().c_str());
            status = 1;
        }
    }
    return status;
}

// "busybox" → "busybox"; ids of images ("sha256:…") shortened unless no_trunc.
std::string image_column(const std::string& image, bool no_trunc) {
    if (!no_trunc && image.starts_with("sha256:"))
        return short_id(image);
    return image;
}

std::string names_column(const Json& container) {
    std::string names;
    auto found = container.find("Names");
    if (found == container.end() || !found->is_array())
        return names;
    for (const auto& entry : *found) {
        if (!entry.is_string())
            continue;
        std::string name = entry.get<std::string>();
        if (name.starts_with("/"))
            name.erase(0, 1);
        // Names with another slash are link aliases, not names of this container.
        if (name.find('/') != std::string::npos)
            continue;
        if (!names.empty())
            names += ",";
        names += name;
    }
    return names;
}

std::string ports_column(const Json& container) {
    std::string ports;
    auto found = container.find("Ports");
    if (found == container.end() || !found->is_array())
        return ports;
    for (const auto& port : *found) {
        std::string text;
        std::string ip = json_string(port, "IP");
        int64_t public_port = json_integer(port, "PublicPort");
        if (public_port > 0)
            text = (ip.empty() ? std::string() : ip + ":") + std::to_string(public_port) + "->";
        text += std::to_string(json_integer(port, "PrivatePort")) + "/" + json_string(port, "Type");
        if (!ports.empty())
            ports += ", ";
        ports += text;
    }
    return ports;
}

}  // namespace

ErrorOr<int> command_ps(CommandContext& context, const Arguments& arguments) {
    CLI::App app;
    bool all = false;
    bool quiet = false;
    bool no_trunc = false;
    bool latest = false;
    int last = -1;
    std::vector<std::string> filters;
    app.add_flag("-a,--all", all, "Show all containers (default shows just running)");
    app.add_flag("-q,--quiet", quiet, "Only display container IDs");
    app.add_flag("--no-trunc", no_trunc, "Don't truncate output");
    app.add_flag("-l,--latest", latest, "Show the latest created container");
    app.add_option("-n,--last", last, "Show n last created containers");
    app.add_option("-f,--filter", filters, "Filter output based on conditions provided")
        ->allow_extra_args(false)
        ->take_all();
    std::string format;
    app.add_option("--format", format, "Format output using a custom template");
    if (auto exit = parse_flags(context, app, arguments, "ps", nullptr, 0))
        return *exit;
    Json filter_map = Json::object();
    for (const auto& filter : filters) {
        size_t equals = filter.find('=');
        if (equals == std::string::npos || equals == 0)
            return usage_error(context, "ps", "bad format of filter (expected name=value)");
        filter_map[filter.substr(0, equals)].push_back(filter.substr(equals + 1));
    }
    std::string query = "/containers/json?all=" + std::string(all ? "1" : "0");
    if (latest)
        last = 1;
    if (last > 0)
        query += "&limit=" + std::to_string(last);
    if (!filter_map.empty())
        query += "&filters=" + url_encode(filter_map.dump());
    auto* api = TRY(context.api());
    Json containers = TRY(api->call_json("GET", query));
    if (!containers.is_array())
        return Error::invalid("daemon sent a container list that is not a list");
    if (quiet) {
        for (const auto& container : containers) {
            std::string id = json_string(container, "Id");
            print_line(no_trunc ? id : short_id(id));
        }
        return 0;
    }
    int64_t now = std::time(nullptr);
    std::vector<Json> rows;
    for (const auto& container : containers) {
        std::string id = json_string(container, "Id");
        std::string command = json_string(container, "Command");
        int64_t created = json_integer(container, "Created");
        std::string labels;
        if (container.contains("Labels") && container["Labels"].is_object()) {
            for (auto it = container["Labels"].begin(); it != container["Labels"].end(); ++it)
                labels += (labels.empty() ? "" : ",") + it.key() + "=" +
                          (it->is_string() ? it->get<std::string>() : it->dump());
        }
        rows.push_back({{"ID", no_trunc ? id : short_id(id)},
                        {"Image", image_column(json_string(container, "Image"), no_trunc)},
                        {"Command", "\"" + (no_trunc ? command : ellipsis(command, 20)) + "\""},
                        {"CreatedAt", format_local_time(created)},
                        {"RunningFor", human_duration(now - created) + " ago"},
                        {"Status", json_string(container, "Status")},
                        {"State", json_string(container, "State")},
                        {"Ports", ports_column(container)},
                        {"Names", names_column(container)},
                        {"Labels", labels}});
    }
    if (format.empty())
        format =
            "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t"
            "{{.Ports}}\t{{.Names}}";
    static const FieldHeaders headers = {{"ID", "CONTAINER ID"},    {"Image", "IMAGE"},
                                         {"Command", "COMMAND"},    {"CreatedAt", "CREATED AT"},
                                         {"RunningFor", "CREATED"}, {"Status", "STATUS"},
                                         {"State", "STATE"},        {"Ports", "PORTS"},
                                         {"Names", "NAMES"},        {"Labels", "LABELS"}};
    std::string text = TRY(render_rows(format, rows, headers));
    std::fputs(text.c_str(), stdout);
    return 0;
}

ErrorOr<int> command_start(CommandContext& context, const Arguments& arguments) {
    CLI::App app;
    bool attach = false;
    bool interactive = false;
    app.add_flag("-a,--attach", attach, "Attach STDOUT/STDERR and forward signals");
    app.add_flag("-i,--interactive", interactive, "Attach container's STDIN");
    std::vector<std::string> names;
    if (auto exit = parse_flags(context, app, arguments, "start", &names, 1))
        return *exit;
    if (attach || interactive) {
        if (names.size() > 1)
            return usage_error(context, "start",
                               "you cannot start and attach multiple containers at once");
        return start_attached(context, names[0], interactive);
    }
    int status = TRY(
        for_each_name(context, names, [](DockerApi& api, const std::string& name) -> ErrorOr<void> {
            TRY(api.call("POST", path_for("/containers/", name, "/start")));
            print_line(name);
            return {};
        }));
    if (status != 0)
        std::fprintf(stderr, "Error: failed to start containers: %s\n",
                     [&] {
                         std::string joined;
                         for (const auto& name : names)
                             joined += (joined.empty() ? "" : ", ") + name;
                         return joined;
                     }()
                         .c_str());
    return status;
}

namespace {

ErrorOr<int> stop_or_restart(CommandContext& context, const Arguments& arguments,
                             std::string_view command) {
    CLI::App app;
    std::optional<int> timeout;
    std::string signal;
    app.add_option("-t,--time,--timeout", timeout, "Seconds to wait before killing the container");
    app.add_option("-s,--signal", signal, "Signal to send to the container");
    std::vector<std::string> names;
    if (auto exit = parse_flags(context, app, arguments, command, &names, 1))
        return *exit;
    std::string query;
    if (timeout)
        query += "t=" + std::to_string(*timeout);
    if (!signal.empty())
        query += (query.empty() ? "" : "&") + std::string("signal=") + url_encode(signal);
    std::string suffix = "/" + std::string(command) + (query.empty() ? "" : "?" + query);
    return for_each_name(context, names,
                         [&](DockerApi& api, const std::string& name) -> ErrorOr<void> {
                             TRY(api.call("POST", path_for("/containers/", name, suffix)));
                             print_line(name);
                             return {};
                         });
}

}  // namespace

ErrorOr<int> command_stop(CommandContext& context, const Arguments& arguments) {
    return stop_or_restart(context, arguments, "stop");
}

ErrorOr<int> command_restart(CommandContext& context, const Arguments& arguments) {
    return stop_or_restart(context, arguments, "restart");
}

ErrorOr<int> command_kill(CommandContext& context, const Arguments& arguments) {
    CLI::App app;
    std::string signal;
    app.add_option("-s,--signal", signal, "Signal to send to the container");
    std::vector<std::string> names;
    if (auto exit = parse_flags(context, app, arguments, "kill", &names, 1))
        return *exit;
    std::string suffix = "/kill" + (signal.empty() ? "" : "?signal=" + url_encode(signal));
    return for_each_name(context, names,
                         [&](DockerApi& api, const std::string& name) -> ErrorOr<void> {
                             TRY(api.call("POST", path_for("/containers/", name, suffix)));
                             print_line(name);
                             return {};
                         });
}

ErrorOr<int> command_rm(CommandContext& context, const Arguments& arguments) {
    CLI::App app;
    bool force = false;
    bool volumes = false;
    app.add_flag("-f,--force", force, "Force the removal of a running container");
    app.add_flag("-v,--volumes", volumes, "Remove anonymous volumes of the container");
    std::vector<std::string> names;
    if (auto exit = parse_flags(context, app, arguments, "rm", &names, 1))
        return *exit;
    std::string suffix =
        std::string("?force=") + (force ? "1" : "0") + "&v=" + (volumes ? "1" : "0");
    return for_each_name(context, names,
                         [&](DockerApi& api, const std::string& name) -> ErrorOr<void> {
                             TRY(api.call("DELETE", path_for("/containers/", name, suffix)));
                             print_line(name);
                             return {};
                         });
}

ErrorOr<int> command_wait(CommandContext& context, const Arguments& arguments) {
    CLI::App app;
    std::vector<std::string> names;
    if (auto exit = parse_flags(context, app, arguments, "wait", &names, 1))
        return *exit;
    return for_each_name(
        context, names, [&](DockerApi& api, const std::string& name) -> ErrorOr<void> {
            Json result = TRY(api.call_json("POST", path_for("/containers/", name, "/wait")));
            print_line(std::to_string(json_integer(result, "StatusCode")));
            return {};
        });
}

ErrorOr<int> command_rename(CommandContext& context, const Arguments& arguments) {
    CLI::App app;
    std::vector<std::string> names;
    if (auto exit = parse_flags(context, app, arguments, "rename", &names, 2, 2))
        return *exit;
    auto* api = TRY(context.api());
    TRY(api->call("POST",
                  path_for("/containers/", names[0], "/rename?name=" + url_encode(names[1]))));
    return 0;
}

ErrorOr<int> command_logs(CommandContext& context, const Arguments& arguments) {
    CLI::App app;
    bool follow = false;
    bool timestamps = false;
    std::string tail;
    std::string since;
    std::string until;
    app.add_flag("-f,--follow", follow, "Follow log output");
    app.add_flag("-t,--timestamps", timestamps, "Show timestamps");
    app.add_option("-n,--tail", tail, "Number of lines to show from the end of the logs");
    app.add_option("--since", since, "Show logs since timestamp");
    app.add_option("--until", until, "Show logs before a timestamp");
    std::vector<std::string> names;
    if (auto exit = parse_flags(context, app, arguments, "logs", &names, 1, 1))
        return *exit;
    auto* api = TRY(context.api());
    Json container = TRY(api->call_json("GET", path_for("/containers/", names[0], "/json")));
    bool tty = container.contains("Config") && container["Config"].is_object() &&
               container["Config"].value("Tty", false);
    std::string query = "?stdout=1&stderr=1";
    if (follow)
        query += "&follow=1";
    if (timestamps)
        query += "&timestamps=1";
    if (!tail.empty())
        query += "&tail=" + url_encode(tail);
    if (!since.empty())
        query += "&since=" + url_encode(TRY(docker_timestamp(since)));
    if (!until.empty())
        query += "&until=" + url_encode(TRY(docker_timestamp(until)));
    auto connection = TRY(
        api->open_stream(api->request("GET", path_for("/containers/", names[0], "/logs" + query))));
    TRY(copy_body_to_output(connection, tty));
    return 0;
}

ErrorOr<int> command_inspect(CommandContext& context, const Arguments& arguments) {
    CLI::App app;
    std::string format;
    std::string type;
    app.add_option("-f,--format", format, "Format output using a custom template");
    app.add_option("--type", type, "Only inspect objects of the given type");
    std::vector<std::string> names;
    if (auto exit = parse_flags(context, app, arguments, "inspect", &names, 1))
        return *exit;
    std::optional<Template> compiled;
    if (!format.empty()) {
        auto parsed = Template::parse(format);
        if (parsed.is_error()) {
            std::fprintf(stderr, "template parsing error: %s\n", parsed.error().message().c_str());
            return 1;
        }
        compiled = std::move(parsed.value());
    }
    auto* api = TRY(context.api());
    Json found = Json::array();
    int status = 0;
    for (const auto& name : names) {
        std::optional<Json> object;
        if (type.empty() || type == "container") {
            auto container = api->call_json("GET", path_for("/containers/", name, "/json"));
            if (container)
                object = std::move(container.value());
            else if (container.error().kind() != ErrorKind::not_found)
                return container.release_error();
        }
        if (!object && (type.empty() || type == "image")) {
            auto image = api->call_json("GET", path_for("/images/", name, "/json"));
            if (image)
                object = std::move(image.value());
            else if (image.error().kind() != ErrorKind::not_found)
                return image.release_error();
        }
        if (!object) {
            std::fprintf(stderr, "Error: No such object: %s\n", name.c_str());
            status = 1;
            continue;
        }
        if (compiled) {
            auto text = compiled->execute(*object);
            if (text.is_error()) {
                std::fprintf(stderr, "template: executing: %s\n", text.error().message().c_str());
                return 1;
            }
            print_line(*text);
        } else {
            found.push_back(std::move(*object));
        }
    }
    if (!compiled)
        print_line(found.dump(4));
    return status;
}

ErrorOr<int> command_top(CommandContext& context, const Arguments& arguments) {
    CLI::App app;
    app.prefix_command();
    if (auto exit = parse_flags(context, app, arguments, "top", nullptr, 0))
        return *exit;
    std::vector<std::string> rest = app.remaining();
    if (rest.empty())
        return usage_error(context, "top",
                           "\"" + context.program() + " top\" requires at least 1 argument.");
    std::string ps_arguments;
    for (size_t i = 1; i < rest.size(); ++i)
        ps_arguments += (i > 1 ? " " : "") + rest[i];
    std::string path = path_for("/containers/", rest[0], "/top");
    if (!ps_arguments.empty())
        path += "?ps_args=" + url_encode(ps_arguments);
    auto* api = TRY(context.api());
    Json top = TRY(api->call_json("GET", path));
    Table table(20, 1);
    std::vector<std::string> titles;
    for (const auto& title : top.value("Titles", Json::array()))
        titles.push_back(title.is_string() ? title.get<std::string>() : title.dump());
    table.add_row(titles);
    for (const auto& process : top.value("Processes", Json::array())) {
        std::vector<std::string> cells;
        for (const auto& cell : process)
            cells.push_back(cell.is_string() ? cell.get<std::string>() : cell.dump());
        table.add_row(cells);
    }
    std::fputs(table.render().c_str(), stdout);
    return 0;
}

}  // namespace corral::cli
