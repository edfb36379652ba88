#include <algorithm>
#include <cstdlib>

#include "compose/service.h"
#include "config/schema.h"
#include "config/yaml.h"

namespace corral::compose {

using config::Value;

namespace {

std::vector<std::string> split_list(std::string_view text) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= text.size()) {
        size_t comma = text.find(',', start);
        std::string item(text.substr(start, comma - start));
        item.erase(0, item.find_first_not_of(" \t"));
        item.erase(item.find_last_not_of(" \t") + 1);
        if (!item.empty())
            out.push_back(item);
        if (comma == std::string_view::npos)
            break;
        start = comma + 1;
    }
    return out;
}

struct Context {
    const std::string& name;
    const Environment& environment;
    Service& service;

    Error error(std::string_view key, const std::string& message) const {
        return Error::invalid("service " + name + ": " + std::string(key) + ": " + message);
    }
    void warn(std::string_view key, const std::string& message) {
        service.warnings.push_back(std::string(key) + ": " + message);
    }
};

std::vector<std::string> scalars(const Value& value) {
    std::vector<std::string> out;
    if (value.is_scalar()) {
        out.push_back(value.text());
    } else if (value.is_sequence()) {
        for (const auto& item : value.items()) {
            if (item.is_scalar())
                out.push_back(item.text());
        }
    }
    return out;
}

// A list of "KEY=value" or a map → ordered (key, value) pairs; list items without "=" have no
// value (nullopt).
std::vector<std::pair<std::string, std::optional<std::string>>> key_values(const Value& value) {
    std::vector<std::pair<std::string, std::optional<std::string>>> out;
    if (value.is_sequence()) {
        for (const auto& item : value.items()) {
            if (!item.is_scalar())
                continue;
            const std::string& text = item.text();
            size_t equals = text.find('=');
            if (equals == std::string::npos)
                out.emplace_back(text, std::nullopt);
            else
                out.emplace_back(text.substr(0, equals), text.substr(equals + 1));
        }
    } else if (value.is_mapping()) {
        for (const auto& [key, item] : value.entries())
            out.emplace_back(key, item.is_null() ? std::nullopt : item.as_string());
    }
    return out;
}

// environment: entries without a value take it from the environment (dropped when unset);
// `PREFIX*` takes every variable whose name starts with PREFIX, as RancherOS did.
std::vector<std::string> environment_list(const Value& value, const Environment& environment) {
    std::vector<std::string> out;
    for (const auto& [key, item] : key_values(value)) {
        if (item) {
            out.push_back(key + "=" + *item);
            continue;
        }
        if (!key.empty() && key.back() == '*') {
            std::string prefix = key.substr(0, key.size() - 1);
            for (const auto& [name, text] : environment) {
                if (name.starts_with(prefix))
                    out.push_back(name + "=" + text);
            }
            continue;
        }
        if (auto found = environment.find(key); found != environment.end())
            out.push_back(key + "=" + found->second);
    }
    return out;
}

bool is_propagation(std::string_view option) {
    return option == "shared" || option == "rshared" || option == "slave" || option == "rslave" ||
           option == "private" || option == "rprivate";
}

ErrorOr<engine::MountSpec> parse_volume(Context& context, const std::string& text) {
    engine::MountSpec mount;
    std::vector<std::string> parts;
    size_t start = 0;
    for (;;) {
        size_t colon = text.find(':', start);
        parts.push_back(text.substr(start, colon - start));
        if (colon == std::string::npos)
            break;
        start = colon + 1;
    }
    if (parts.size() > 3 || parts[0].empty())
        return context.error("volumes", "`" + text + "`: expected [SOURCE:]TARGET[:OPTIONS]");
    if (parts.size() == 1) {
        mount.type = engine::MountSpec::Type::volume;
        mount.target = parts[0];
    } else {
        mount.source = parts[0];
        mount.target = parts[1];
        bool path = mount.source[0] == '/' || mount.source[0] == '.' || mount.source[0] == '~';
        mount.type = path ? engine::MountSpec::Type::bind : engine::MountSpec::Type::volume;
    }
    if (mount.target.empty() || mount.target[0] != '/')
        return context.error("volumes", "`" + text + "`: the target must be an absolute path");
    if (parts.size() == 3) {
        for (const auto& option : split_list(std::string_view(parts[2]))) {
            if (option == "ro")
                mount.read_only = true;
            else if (option == "rw")
                mount.read_only = false;
            else if (is_propagation(option))
                mount.propagation = option;
            else if (option == "z" || option == "Z" || option == "nocopy")
                context.warn("volumes", "`" + text + "`: option " + option + " ignored");
            else
                return context.error("volumes", "`" + text + "`: unknown option `" + option + "`");
        }
    }
    return mount;
}

ErrorOr<engine::DeviceSpec> parse_device(Context& context, const std::string& text) {
    engine::DeviceSpec device;
    size_t first = text.find(':');
    device.host_path = text.substr(0, first);
    device.container_path = device.host_path;
    if (first != std::string::npos) {
        size_t second = text.find(':', first + 1);
        device.container_path = text.substr(first + 1, second - first - 1);
        if (second != std::string::npos)
            device.permissions = text.substr(second + 1);
    }
    if (device.host_path.empty() || device.host_path[0] != '/' || device.container_path.empty())
        return context.error("devices", "`" + text + "`: expected HOST[:CONTAINER[:PERMISSIONS]]");
    if (device.permissions.empty() ||
        device.permissions.find_first_not_of("rwm") != std::string::npos)
        return context.error("devices", "`" + text + "`: permissions must be made of r, w, m");
    return device;
}

ErrorOr<engine::RestartPolicy> parse_restart(Context& context, const std::string& text) {
    engine::RestartPolicy policy;
    if (text.empty() || text == "no" || text == "false")
        return policy;
    if (text == "always") {
        policy.name = engine::RestartPolicy::Name::always;
    } else if (text == "unless-stopped") {
        policy.name = engine::RestartPolicy::Name::unless_stopped;
    } else if (text.starts_with("on-failure")) {
        policy.name = engine::RestartPolicy::Name::on_failure;
        if (text.size() > 10) {
            if (text[10] != ':')
                return context.error("restart", "unknown policy `" + text + "`");
            Value count = Value::scalar(text.substr(11));
            auto parsed = count.as_int();
            if (!parsed || *parsed < 0 || *parsed > 1000000)
                return context.error("restart", "`" + text + "`: bad retry count");
            policy.maximum_retry_count = static_cast<int>(*parsed);
        }
    } else {
        return context.error("restart", "unknown policy `" + text +
                                            "` (no, always, on-failure[:N], unless-stopped)");
    }
    return policy;
}

ErrorOr<std::string> parse_namespace_mode(Context& context, std::string_view key,
                                          const std::string& text, bool network) {
    if (text.empty() || text == "host")
        return text;
    if (text.starts_with("container:") && text.size() > 10)
        return text;
    if (network && (text == "none" || text == "bridge" || text == "default"))
        return text;
    if (key == "ipc" && (text == "private" || text == "shareable"))
        return text;
    return context.error(key, "unsupported mode `" + text + "`");
}

bool flag(const Value* value, bool fallback) {
    if (!value)
        return fallback;
    return value->as_bool().value_or(fallback);
}

void apply_labels(Service& service) {
    const auto& labels = service.request.config.labels;
    auto get = [&](std::string_view key) -> const std::string* {
        auto found = labels.find(std::string(key));
        return found == labels.end() ? nullptr : &found->second;
    };
    auto truthy = [](const std::string& text, bool fallback) {
        return Value::scalar(text).as_bool().value_or(fallback);
    };
    if (const auto* scope = get(scope_label))
        service.scope = *scope == "system" ? Scope::system : Scope::user;
    if (const auto* after = get(after_label))
        service.after = split_list(*after);
    if (const auto* before = get(before_label))
        service.before = split_list(*before);
    if (const auto* detach = get(detach_label))
        service.detach = truthy(*detach, true);
    if (const auto* createonly = get(createonly_label))
        service.createonly = truthy(*createonly, false);
    if (const auto* reload = get(reloadconfig_label))
        service.reloadconfig = truthy(*reload, false);
    if (const auto* remove = get(remove_label))
        service.remove = truthy(*remove, true);
    if (const auto* console = get(console_label))
        service.console = *console;
    if (const auto* rebuild = get(rebuild_label))
        service.rebuild = *rebuild;
}

ErrorOr<void> apply_log(Context& context, const Value& definition) {
    auto& log = context.service.request.host_config.log_config;
    if (const Value* driver = definition.find("log_driver"); driver && driver->is_scalar()) {
        const std::string& name = driver->text();
        if (name == "json-file" || name == "none" || name.empty()) {
            log.type = name.empty() ? "json-file" : name;
        } else {
            context.warn("log_driver", "driver `" + name + "` not supported, json-file used");
        }
    }
    if (const Value* options = definition.find("log_opt"); options && options->is_mapping()) {
        for (const auto& [key, item] : options->entries()) {
            std::string text = item.as_string().value_or("");
            if (key == "max-size") {
                auto bytes = parse_bytes(text);
                if (!bytes)
                    return context.error("log_opt", "max-size: " + bytes.error().message());
                log.max_size = static_cast<uint64_t>(*bytes);
            } else if (key == "max-file") {
                auto count = Value::scalar(text).as_int();
                if (!count || *count < 1 || *count > 1000)
                    return context.error("log_opt", "max-file `" + text + "`: not a count");
                log.max_file = static_cast<int>(*count);
            } else {
                context.warn("log_opt", "option `" + key + "` ignored");
            }
        }
    }
    return {};
}

}  // namespace

namespace {

// Keys we accept and ignore, each with why; everything else unknown is a warning from the
// schema check.
void warn_unsupported(Context& context, const Value& definition) {
    static const std::pair<std::string_view, std::string_view> ignored[] = {
        {"links", "links are ignored: services reach each other over the host network"},
        {"external_links", "ignored: services reach each other over the host network"},
        {"build", "ignored: CorralOS does not build images"},
        {"dockerfile", "ignored: CorralOS does not build images"},
        {"extends", "ignored: not supported"},
        {"env_file", "ignored: put variables in rancher.environment"},
        {"security_opt", "ignored: not supported"},
        {"ulimits", "ignored: not supported"},
        {"networks", "ignored: only net/network_mode is supported"},
        {"volume_driver", "ignored: not supported"},
        {"expose", "ignored: containers have no private network to expose"},
        {"mac_address", "ignored: not supported"},
        {"cgroup_parent", "ignored: not supported"},
        {"oom_kill_disable", "ignored: not supported"},
        {"oom_score_adj", "ignored: not supported"},
        {"mem_swappiness", "ignored: not supported"},
        {"mem_reservation", "ignored: not supported"},
        {"logging", "ignored: use log_driver and log_opt"},
    };
    for (const auto& [key, why] : ignored) {
        if (definition.find(key))
            context.warn(key, std::string(why));
    }
}

ErrorOr<void> apply_resources(Context& context, const Value& definition) {
    auto& resources = context.service.request.host_config.resources;
    auto bytes_of = [&](std::string_view key, int64_t& out) -> ErrorOr<void> {
        const Value* value = definition.find(key);
        if (!value || !value->is_scalar())
            return {};
        auto bytes = parse_bytes(value->text());
        if (!bytes)
            return context.error(key, bytes.error().message());
        out = *bytes;
        return {};
    };
    auto integer_of = [&](std::string_view key, int64_t& out) -> ErrorOr<void> {
        const Value* value = definition.find(key);
        if (!value || value->is_null())
            return {};
        auto number = value->as_int();
        if (!number)
            return context.error(key, "expected an integer, got " + value->describe());
        out = *number;
        return {};
    };
    TRY(bytes_of("mem_limit", resources.memory));
    if (const Value* swap = definition.find("memswap_limit"); swap && swap->is_scalar()) {
        if (swap->text() == "-1")
            resources.memory_swap = -1;
        else
            TRY(bytes_of("memswap_limit", resources.memory_swap));
    }
    TRY(bytes_of("shm_size", context.service.request.host_config.shm_size));
    TRY(integer_of("cpu_shares", resources.cpu_shares));
    TRY(integer_of("cpu_quota", resources.cpu_quota));
    TRY(integer_of("cpu_period", resources.cpu_period));
    TRY(integer_of("pids_limit", resources.pids_limit));
    if (const Value* cpuset = definition.find("cpuset"); cpuset && cpuset->is_scalar())
        resources.cpuset_cpus = cpuset->text();
    if (const Value* cpus = definition.find("cpus"); cpus && cpus->is_scalar()) {
        char* end = nullptr;
        double count = std::strtod(cpus->text().c_str(), &end);
        if (end == cpus->text().c_str() || *end != 0 || count < 0 || count > 4096)
            return context.error("cpus", "expected a number of CPUs, got " + cpus->describe());
        resources.nano_cpus = static_cast<int64_t>(count * 1e9);
    }
    return {};
}

std::string text_of(const Value& definition, std::string_view key) {
    const Value* value = definition.find(key);
    return value && value->is_scalar() ? value->text() : std::string();
}

}  // namespace

std::vector<std::string> Service::dependencies() const {
    std::vector<std::string> out = after;
    auto add = [&](const std::string& name) {
        if (!name.empty() && name != this->name &&
            std::find(out.begin(), out.end(), name) == out.end())
            out.push_back(name);
    };
    for (const auto& source : request.host_config.volumes_from)
        add(source.substr(0, source.find(':')));
    for (const auto* mode : {&request.host_config.network_mode, &request.host_config.ipc_mode,
                             &request.host_config.pid_mode}) {
        if (mode->starts_with("container:"))
            add(mode->substr(10));
    }
    return out;
}

ErrorOr<Service> parse_service(const std::string& name, const Value& raw_definition,
                               const Environment& environment) {
    Service service;
    service.name = name;
    Context context{name, environment, service};
    if (name.empty())
        return Error::invalid("a service needs a name");
    if (!raw_definition.is_mapping())
        return Error::invalid("service " + name + ": expected a map, got " +
                              raw_definition.describe());
    for (const auto& problem : config::validate_service(raw_definition, name)) {
        // Wrong types are errors: we could not honour the definition. Unknown keys are
        // reported but do not stop the service.
        if (problem.message == "unknown key")
            service.warnings.push_back(problem.to_string());
        else
            return Error::invalid("service " + problem.to_string());
    }
    std::vector<std::string> missing;
    Value definition =
        TRY_CONTEXT(interpolate_tree(raw_definition, environment, &missing), "service " + name);
    for (const auto& variable : missing)
        service.warnings.push_back("variable " + variable + " is not set; using \"\"");

    auto& config = service.request.config;
    auto& host = service.request.host_config;
    service.request.name = text_of(definition, "container_name");
    if (service.request.name.empty())
        service.request.name = name;
    config.image = text_of(definition, "image");
    if (config.image.empty())
        return context.error("image", "missing: every service needs an image");

    if (const Value* command = definition.find("command"); command && !command->is_null()) {
        config.cmd = command->is_scalar()
                         ? TRY_CONTEXT(split_command(command->text()), "service " + name)
                         : scalars(*command);
    }
    if (const Value* entrypoint = definition.find("entrypoint");
        entrypoint && !entrypoint->is_null()) {
        config.entrypoint = entrypoint->is_scalar()
                                ? TRY_CONTEXT(split_command(entrypoint->text()), "service " + name)
                                : scalars(*entrypoint);
    }
    if (const Value* env = definition.find("environment"))
        config.env = environment_list(*env, environment);
    if (const Value* labels = definition.find("labels")) {
        for (const auto& [key, value] : key_values(*labels))
            config.labels[key] = value.value_or("");
    }
    config.labels[std::string(service_label)] = name;
    config.labels[std::string(project_label)] = "os";
    config.user = text_of(definition, "user");
    config.working_dir = text_of(definition, "working_dir");
    config.hostname = text_of(definition, "hostname");
    config.domainname = text_of(definition, "domainname");
    config.stop_signal = text_of(definition, "stop_signal");
    config.tty = flag(definition.find("tty"), false);
    config.open_stdin = flag(definition.find("stdin_open"), false);
    if (const Value* grace = definition.find("stop_grace_period"); grace && grace->is_scalar()) {
        std::string text = grace->text();
        if (text.ends_with("s"))
            text.pop_back();
        auto seconds = Value::scalar(text).as_int();
        if (!seconds || *seconds < 0 || *seconds > 86400)
            return context.error("stop_grace_period",
                                 "expected seconds (\"30s\"), got " + grace->describe());
        config.stop_timeout = static_cast<int>(*seconds);
    }

    if (const Value* volumes = definition.find("volumes")) {
        for (const auto& text : scalars(*volumes))
            host.mounts.push_back(TRY(parse_volume(context, text)));
    }
    if (const Value* tmpfs = definition.find("tmpfs")) {
        for (const auto& text : scalars(*tmpfs)) {
            engine::MountSpec mount;
            mount.type = engine::MountSpec::Type::tmpfs;
            size_t colon = text.find(':');
            mount.target = text.substr(0, colon);
            if (colon != std::string::npos)
                mount.options = text.substr(colon + 1);
            if (mount.target.empty() || mount.target[0] != '/')
                return context.error("tmpfs", "`" + text + "`: expected an absolute path");
            host.mounts.push_back(std::move(mount));
        }
    }
    if (const Value* from = definition.find("volumes_from"))
        host.volumes_from = scalars(*from);
    if (const Value* devices = definition.find("devices")) {
        for (const auto& text : scalars(*devices))
            host.devices.push_back(TRY(parse_device(context, text)));
    }
    std::string network = text_of(definition, "network_mode");
    if (network.empty())
        network = text_of(definition, "net");
    host.network_mode = TRY(parse_namespace_mode(context, "net", network, true));
    host.pid_mode = TRY(parse_namespace_mode(context, "pid", text_of(definition, "pid"), false));
    host.ipc_mode = TRY(parse_namespace_mode(context, "ipc", text_of(definition, "ipc"), false));
    host.uts_mode = text_of(definition, "uts");
    if (!host.uts_mode.empty() && host.uts_mode != "host")
        return context.error("uts", "unsupported mode `" + host.uts_mode + "` (only host)");
    host.privileged = flag(definition.find("privileged"), false);
    host.read_only_rootfs = flag(definition.find("read_only"), false);
    host.init = flag(definition.find("init"), false);
    host.restart_policy = TRY(parse_restart(context, text_of(definition, "restart")));
    if (const Value* caps = definition.find("cap_add"))
        host.cap_add = scalars(*caps);
    if (const Value* caps = definition.find("cap_drop"))
        host.cap_drop = scalars(*caps);
    if (const Value* dns = definition.find("dns"))
        host.dns = scalars(*dns);
    if (const Value* search = definition.find("dns_search"))
        host.dns_search = scalars(*search);
    if (const Value* groups = definition.find("group_add"))
        host.group_add = scalars(*groups);
    if (const Value* hosts = definition.find("extra_hosts")) {
        for (const auto& [key, value] : key_values(*hosts))
            host.extra_hosts.push_back(value ? key + ":" + *value : key);
    }
    if (const Value* sysctls = definition.find("sysctls")) {
        for (const auto& [key, value] : key_values(*sysctls))
            host.sysctls[key] = value.value_or("");
    }
    TRY(apply_log(context, definition));
    TRY(apply_resources(context, definition));
    if (const Value* ports = definition.find("ports"); ports && !ports->is_null()) {
        if (host.network_mode == "host")
            context.warn("ports", "ignored: with net: host the service listens on the host");
        else
            context.warn("ports", "ignored: port publishing needs net: host on CorralOS");
    }
    warn_unsupported(context, definition);
    apply_labels(service);
    return service;
}

ErrorOr<std::vector<Service>> parse_services(const Value& services,
                                             const Environment& environment) {
    std::vector<Service> out;
    if (services.is_null())
        return out;
    if (!services.is_mapping())
        return Error::invalid(config::format_mark(services.mark()) +
                              "expected a map of services, got " + services.describe());
    for (const auto& [name, definition] : services.entries())
        out.push_back(TRY(parse_service(name, definition, environment)));
    return out;
}

ErrorOr<std::vector<Service>> parse_service_file(std::string_view text, const std::string& file,
                                                 const Environment& environment) {
    Value document = TRY(config::parse_yaml(text, file));
    return TRY_CONTEXT(parse_services(document, environment), file);
}

}  // namespace corral::compose
