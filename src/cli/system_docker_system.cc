// Commands about the daemon itself: version, info, events.
#include <sys/utsname.h>

#include <cstdio>
#include <map>

#include "cli/system_docker_commands.h"
#include "cli/system_docker_format.h"
#include "cli/system_docker_io.h"
#include "cli/system_docker_template.h"

namespace corral::cli {

namespace {

std::string text_of(const Json& object, const std::string& key) {
    auto found = object.find(key);
    if (found == object.end() || found->is_null())
        return "";
    if (found->is_string())
        return found->get<std::string>();
    return found->dump();
}

void field(int indent, std::string_view name, const std::string& value, int width = 20) {
    std::string label = std::string(static_cast<size_t>(indent), ' ') + std::string(name) + ":";
    std::printf("%-*s%s\n", width, label.c_str(), value.c_str());
}

// The insecure registries of /info's RegistryConfig as docker's info lists them: the names
// of the registries that are not secure, then the ranges.
std::vector<std::string> insecure_registries(const Json& info) {
    std::vector<std::string> insecure;
    auto config = info.find("RegistryConfig");
    if (config == info.end() || !config->is_object())
        return insecure;
    auto indexes = config->find("IndexConfigs");
    if (indexes != config->end() && indexes->is_object()) {
        for (const auto& index : *indexes) {
            auto secure = index.find("Secure");
            if (index.is_object() && secure != index.end() && secure->is_boolean() &&
                !secure->get<bool>())
                insecure.push_back(text_of(index, "Name"));
        }
    }
    auto ranges = config->find("InsecureRegistryCIDRs");
    if (ranges != config->end() && ranges->is_array()) {
        for (const auto& range : *ranges) {
            if (range.is_string())
                insecure.push_back(range.get<std::string>());
        }
    }
    return insecure;
}

// Binary units as docker's info shows memory: "23.47GiB".
std::string binary_size(double bytes) {
    static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    size_t unit = 0;
    while (bytes >= 1024.0 && unit + 1 < std::size(units)) {
        bytes /= 1024.0;
        ++unit;
    }
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.4g%s", bytes, units[unit]);
    return buffer;
}

}  // namespace

ErrorOr<int> command_version(CommandContext& context, const Arguments& arguments) {
    CLI::App app;
    std::string format;
    app.add_option("-f,--format", format, "Format output using a custom template (unsupported)");
    if (auto exit = parse_flags(context, app, arguments, "version", nullptr, 0, 0))
        return *exit;
    struct utsname system {};
    ::uname(&system);
    std::printf("Client:\n");
    field(1, "Version", CORRAL_VERSION);
    auto api = context.api();
    std::string api_line(client_api_version);
    if (api && (*api)->api_version() != client_api_version)
        api_line =
            (*api)->api_version() + " (downgraded from " + std::string(client_api_version) + ")";
    field(1, "API version", api_line);
    field(1, "OS/Arch",
          std::string("linux/") +
              (std::string_view(system.machine) == "x86_64" ? "amd64" : system.machine));
    std::printf("\n");
    std::fflush(stdout);
    if (api.is_error())
        return api.release_error();
    Json version = TRY((*api)->call_json("GET", "/version"));
    std::printf("Server:\n");
    std::printf(" Engine:\n");
    field(2, "Version", text_of(version, "Version"));
    std::string server_api = text_of(version, "ApiVersion");
    if (!text_of(version, "MinAPIVersion").empty())
        server_api += " (minimum version " + text_of(version, "MinAPIVersion") + ")";
    field(2, "API version", server_api);
    if (!text_of(version, "GoVersion").empty())
        field(2, "Go version", text_of(version, "GoVersion"));
    field(2, "Git commit", text_of(version, "GitCommit"));
    field(2, "Built", text_of(version, "BuildTime"));
    field(2, "OS/Arch", text_of(version, "Os") + "/" + text_of(version, "Arch"));
    field(2, "Experimental", version.value("Experimental", false) ? "true" : "false");
    if (version.contains("Components") && version["Components"].is_array()) {
        for (const auto& component : version["Components"]) {
            std::string name = text_of(component, "Name");
            if (name == "Engine" || name.empty())
                continue;
            std::printf(" %s:\n", name.c_str());
            field(2, "Version", text_of(component, "Version"));
            if (component.contains("Details") && component["Details"].is_object() &&
                component["Details"].contains("GitCommit"))
                field(2, "GitCommit", text_of(component["Details"], "GitCommit"));
        }
    }
    return 0;
}

ErrorOr<int> command_info(CommandContext& context, const Arguments& arguments) {
    CLI::App app;
    std::string format;
    app.add_option("-f,--format", format, "Format output using a custom template (unsupported)");
    if (auto exit = parse_flags(context, app, arguments, "info", nullptr, 0, 0))
        return *exit;
    std::printf("Client:\n Version:    %s\n\n", CORRAL_VERSION);
    std::fflush(stdout);
    auto* api = TRY(context.api());
    Json info = TRY(api->call_json("GET", "/info"));
    std::printf("Server:\n");
    std::printf(" Containers: %s\n", text_of(info, "Containers").c_str());
    std::printf("  Running: %s\n", text_of(info, "ContainersRunning").c_str());
    std::printf("  Paused: %s\n", text_of(info, "ContainersPaused").c_str());
    std::printf("  Stopped: %s\n", text_of(info, "ContainersStopped").c_str());
    std::printf(" Images: %s\n", text_of(info, "Images").c_str());
    const std::pair<const char*, const char*> lines[] = {
        {"Server Version", "ServerVersion"},     {"Storage Driver", "Driver"},
        {"Logging Driver", "LoggingDriver"},     {"Cgroup Driver", "CgroupDriver"},
        {"Cgroup Version", "CgroupVersion"},     {"Kernel Version", "KernelVersion"},
        {"Operating System", "OperatingSystem"}, {"OSType", "OSType"},
        {"Architecture", "Architecture"},        {"CPUs", "NCPU"}};
    for (const auto& [label, key] : lines) {
        if (info.contains(key))
            std::printf(" %s: %s\n", label, text_of(info, key).c_str());
    }
    if (info.contains("MemTotal") && info["MemTotal"].is_number())
        std::printf(" Total Memory: %s\n", binary_size(info["MemTotal"].get<double>()).c_str());
    const std::pair<const char*, const char*> tail[] = {
        {"Name", "Name"}, {"ID", "ID"}, {"Docker Root Dir", "DockerRootDir"}};
    for (const auto& [label, key] : tail) {
        if (info.contains(key))
            std::printf(" %s: %s\n", label, text_of(info, key).c_str());
    }
    std::printf(" Debug Mode: %s\n", info.value("Debug", false) ? "true" : "false");
    auto insecure = insecure_registries(info);
    if (!insecure.empty()) {
        std::printf(" Insecure Registries:\n");
        for (const auto& registry : insecure)
            std::printf("  %s\n", registry.c_str());
    }
    return 0;
}

std::string format_event(const Json& event) {
    int64_t nanoseconds = 0;
    if (event.contains("timeNano") && event["timeNano"].is_number())
        nanoseconds = event["timeNano"].get<int64_t>();
    else if (event.contains("time") && event["time"].is_number())
        nanoseconds = event["time"].get<int64_t>() * 1000000000;
    std::string type = text_of(event, "Type");
    std::string action = text_of(event, "Action");
    std::string id;
    std::map<std::string, std::string> attributes;
    if (event.contains("Actor") && event["Actor"].is_object()) {
        const Json& actor = event["Actor"];
        id = text_of(actor, "ID");
        if (actor.contains("Attributes") && actor["Attributes"].is_object()) {
            for (auto it = actor["Attributes"].begin(); it != actor["Attributes"].end(); ++it)
                attributes[it.key()] = it->is_string() ? it->get<std::string>() : it->dump();
        }
    }
    if (type.empty())
        type = text_of(event, "type");
    if (action.empty())
        action = text_of(event, "status");
    if (id.empty())
        id = text_of(event, "id");
    std::string line = format_timestamp_ns(nanoseconds) + " " + type + " " + action + " " + id;
    if (!attributes.empty()) {
        line += " (";
        bool first = true;
        for (const auto& [key, value] : attributes) {
            line += (first ? "" : ", ") + key + "=" + value;
            first = false;
        }
        line += ")";
    }
    return line;
}

ErrorOr<int> command_events(CommandContext& context, const Arguments& arguments) {
    CLI::App app;
    std::string since;
    std::string until;
    std::vector<std::string> filters;
    std::string format;
    app.add_option("--since", since, "Show all events created since timestamp");
    app.add_option("--until", until, "Stream events until this timestamp");
    app.add_option("-f,--filter", filters, "Filter output based on conditions provided")
        ->allow_extra_args(false)
        ->take_all();
    app.add_option("--format", format, "Format the output using the given Go template");
    if (auto exit = parse_flags(context, app, arguments, "events", nullptr, 0, 0))
        return *exit;
    std::string query;
    auto add = [&](const std::string& key, const std::string& value) {
        query += (query.empty() ? "?" : "&") + key + "=" + url_encode(value);
    };
    if (!since.empty())
        add("since", TRY(docker_timestamp(since)));
    if (!until.empty())
        add("until", TRY(docker_timestamp(until)));
    Json filter_map = Json::object();
    for (const auto& filter : filters) {
        size_t equals = filter.find('=');
        if (equals == std::string::npos || equals == 0)
            return usage_error(context, "events", "bad format of filter (expected name=value)");
        filter_map[filter.substr(0, equals)].push_back(filter.substr(equals + 1));
    }
    if (!filter_map.empty())
        add("filters", filter_map.dump());
    std::optional<Template> compiled;
    if (!format.empty())
        compiled = TRY(Template::parse(format));
    auto* api = TRY(context.api());
    auto connection = TRY(api->open_stream(api->request("GET", "/events" + query)));
    TRY(for_each_json_value(connection, "event", [&](const Json& event) -> ErrorOr<void> {
        std::string line = compiled ? TRY(compiled->execute(event)) : format_event(event);
        std::printf("%s\n", line.c_str());
        std::fflush(stdout);
        return {};
    }));
    return 0;
}

}  // namespace corral::cli
