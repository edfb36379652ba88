#include "cli/system_docker_run_options.h"

#include <unistd.h>

#include <cmath>
#include <cstdlib>

namespace corral::cli {

namespace {

using Json = nlohmann::ordered_json;

// Options that may be repeated take one value per occurrence, as in the docker CLI.
CLI::Option* repeated(CLI::App& app, const std::string& names, std::vector<std::string>& values,
                      const std::string& help) {
    return app.add_option(names, values, help)->allow_extra_args(false)->expected(1)->take_all();
}

std::pair<std::string, std::optional<std::string>> split_key_value(const std::string& text) {
    size_t equals = text.find('=');
    if (equals == std::string::npos)
        return {text, std::nullopt};
    return {text.substr(0, equals), text.substr(equals + 1)};
}

ErrorOr<Json> parse_restart_policy(const std::string& text) {
    std::string name = text;
    int retries = 0;
    if (size_t colon = text.find(':'); colon != std::string::npos) {
        name = text.substr(0, colon);
        std::string count = text.substr(colon + 1);
        char* end = nullptr;
        long value = std::strtol(count.c_str(), &end, 10);
        if (count.empty() || *end != '\0' || value < 0 || value > 1000000)
            return Error::invalid(
                "invalid restart policy format: maximum retry count must be "
                "an integer");
        if (name != "on-failure")
            return Error::invalid(
                "invalid restart policy format: maximum retry count can only "
                "be used with 'on-failure'");
        retries = static_cast<int>(value);
    }
    if (name != "no" && name != "always" && name != "on-failure" && name != "unless-stopped")
        return Error::invalid("invalid restart policy format: unknown policy '" + name + "'");
    Json policy = {{"Name", name}};
    if (name == "on-failure")
        policy["MaximumRetryCount"] = retries;
    return policy;
}

ErrorOr<Json> parse_device(const std::string& text) {
    // HOST[:CONTAINER][:PERMISSIONS]
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t colon; (colon = text.find(':', start)) != std::string::npos; start = colon + 1)
        parts.push_back(text.substr(start, colon - start));
    parts.push_back(text.substr(start));
    if (parts.size() > 3 || parts[0].empty())
        return Error::invalid("invalid device specification: " + text);
    std::string host = parts[0];
    std::string container = host;
    std::string permissions = "rwm";
    if (parts.size() == 2) {
        // The second field is permissions when it only holds r, w and m letters.
        if (parts[1].find_first_not_of("rwm") == std::string::npos && !parts[1].empty())
            permissions = parts[1];
        else
            container = parts[1];
    } else if (parts.size() == 3) {
        container = parts[1];
        permissions = parts[2];
    }
    if (permissions.empty() || permissions.find_first_not_of("rwm") != std::string::npos)
        return Error::invalid("invalid device mode: " + permissions);
    if (container.empty() || container.front() != '/')
        return Error::invalid("invalid device specification: " + text);
    return Json{
        {"PathOnHost", host}, {"PathInContainer", container}, {"CgroupPermissions", permissions}};
}

// A relative bind source ("./data:/data") is made absolute against the working directory.
std::string absolute_source(const std::string& source) {
    if (!source.starts_with("."))
        return source;
    char cwd[4096];
    if (!::getcwd(cwd, sizeof cwd))
        return source;
    std::string path = cwd;
    std::string rest = source == "." ? "" : source.starts_with("./") ? source.substr(2) : source;
    return rest.empty() ? path : path + "/" + rest;
}

}  // namespace

void add_container_flags(CLI::App& app, ContainerOptions& options, bool for_run) {
    app.set_help_flag("--help", "Print usage");
    app.prefix_command();
    if (for_run) {
        app.add_flag("-d,--detach", options.detach, "Run container in background and print ID");
        app.add_flag("--sig-proxy{true}", options.sig_proxy, "Proxy received signals");
    }
    app.add_flag("--rm", options.remove, "Remove the container when it exits");
    app.add_flag("-i,--interactive", options.interactive, "Keep STDIN open");
    app.add_flag("-t,--tty", options.tty, "Allocate a pseudo-TTY");
    app.add_flag("--privileged", options.privileged, "Give extended privileges");
    app.add_flag("--read-only", options.read_only, "Mount the root filesystem read-only");
    app.add_option("--name", options.name, "Assign a name to the container");
    repeated(app, "-e,--env", options.env, "Set environment variables");
    repeated(app, "-v,--volume", options.volumes, "Bind mount a volume");
    app.add_option("--entrypoint", options.entrypoint, "Overwrite the default ENTRYPOINT");
    app.add_option("-w,--workdir", options.workdir, "Working directory inside the container");
    app.add_option("-u,--user", options.user, "Username or UID (format: <name|uid>[:<group|gid>])");
    app.add_option("-h,--hostname", options.hostname, "Container host name");
    repeated(app, "-l,--label", options.labels, "Set meta data on a container");
    app.add_option("--restart", options.restart, "Restart policy");
    repeated(app, "--cap-add", options.cap_add, "Add Linux capabilities");
    repeated(app, "--cap-drop", options.cap_drop, "Drop Linux capabilities");
    app.add_option("--net,--network", options.network, "Connect a container to a network");
    app.add_option("--pid", options.pid, "PID namespace to use");
    app.add_option("--ipc", options.ipc, "IPC mode to use");
    app.add_option("--uts", options.uts, "UTS namespace to use");
    repeated(app, "--tmpfs", options.tmpfs, "Mount a tmpfs directory");
    repeated(app, "--device", options.devices, "Add a host device to the container");
    repeated(app, "--volumes-from", options.volumes_from, "Mount volumes from a container");
    app.add_option("-m,--memory", options.memory, "Memory limit");
    app.add_option("--cpus", options.cpus, "Number of CPUs");
    app.add_option("--log-driver", options.log_driver, "Logging driver for the container");
    repeated(app, "--log-opt", options.log_opts, "Log driver options");
    app.add_option("--stop-signal", options.stop_signal, "Signal to stop the container");
    app.add_option("--stop-timeout", options.stop_timeout, "Timeout (in seconds) to stop");
    app.add_option("--pull", options.pull, "Pull image before running (never: the only mode)");
}

ErrorOr<ContainerOptions> parse_container_arguments(const std::vector<std::string>& arguments,
                                                    bool for_run, std::string_view program) {
    ContainerOptions options;
    CLI::App app;
    add_container_flags(app, options, for_run);
    std::vector<std::string> reversed(arguments.rbegin(), arguments.rend());
    try {
        app.parse(reversed);
    } catch (const CLI::CallForHelp&) {
        return Error(ErrorKind::invalid_argument, "help");
    } catch (const CLI::ParseError& error) {
        return Error::invalid(error.what());
    }
    std::vector<std::string> rest = app.remaining();
    std::string command_name = std::string(program) + (for_run ? " run" : " create");
    if (rest.empty())
        return Error::invalid("\"" + command_name + "\" requires at least 1 argument.");
    if (rest[0] == "--")
        rest.erase(rest.begin());
    if (rest.empty())
        return Error::invalid("\"" + command_name + "\" requires at least 1 argument.");
    if (rest[0].starts_with("-")) {
        std::string flag = rest[0].substr(0, rest[0].find('='));
        if (flag.starts_with("--"))
            return Error::invalid("unknown flag: " + flag);
        return Error::invalid("unknown shorthand flag: '" + flag.substr(1, 1) + "' in " + flag);
    }
    options.image = rest[0];
    options.command.assign(rest.begin() + 1, rest.end());
    if (!options.pull.empty() && options.pull != "never" && options.pull != "missing")
        return Error::invalid("--pull " + options.pull +
                              ": system-docker never pulls by itself; use `pull` first");
    return options;
}

ErrorOr<int64_t> parse_memory_bytes(std::string_view text) {
    std::string value(text);
    if (value.empty())
        return Error::invalid("invalid size: ''");
    std::string lower;
    for (char c : value)
        lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.size() > 1 && lower.back() == 'b' &&
        std::isalpha(static_cast<unsigned char>(lower[lower.size() - 2])))
        lower.pop_back();
    int64_t multiplier = 1;
    switch (lower.back()) {
        case 'b':
            multiplier = 1;
            lower.pop_back();
            break;
        case 'k':
            multiplier = int64_t{1} << 10;
            lower.pop_back();
            break;
        case 'm':
            multiplier = int64_t{1} << 20;
            lower.pop_back();
            break;
        case 'g':
            multiplier = int64_t{1} << 30;
            lower.pop_back();
            break;
        case 't':
            multiplier = int64_t{1} << 40;
            lower.pop_back();
            break;
        case 'p':
            multiplier = int64_t{1} << 50;
            lower.pop_back();
            break;
        default:
            break;
    }
    char* end = nullptr;
    double number = std::strtod(lower.c_str(), &end);
    if (lower.empty() || *end != '\0' || !std::isfinite(number) || number < 0 ||
        number * static_cast<double>(multiplier) > 9.0e18)
        return Error::invalid("invalid size: '" + value + "'");
    return static_cast<int64_t>(number * static_cast<double>(multiplier));
}

ErrorOr<int64_t> parse_nano_cpus(std::string_view text) {
    std::string value(text);
    char* end = nullptr;
    double cpus = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || !std::isfinite(cpus) || cpus < 0 || cpus > 1.0e6)
        return Error::invalid("failed to parse " + value + " as a rational number");
    return static_cast<int64_t>(std::llround(cpus * 1e9));
}

ErrorOr<nlohmann::ordered_json> build_create_body(const ContainerOptions& options) {
    Json body = Json::object();
    Json host = Json::object();
    if (!options.hostname.empty())
        body["Hostname"] = options.hostname;
    if (!options.user.empty())
        body["User"] = options.user;
    bool attach = !options.detach;
    body["AttachStdin"] = options.interactive && attach;
    body["AttachStdout"] = attach;
    body["AttachStderr"] = attach;
    body["Tty"] = options.tty;
    body["OpenStdin"] = options.interactive;
    body["StdinOnce"] = options.interactive && attach;
    Json env = Json::array();
    for (const auto& entry : options.env) {
        auto [key, value] = split_key_value(entry);
        if (key.empty())
            return Error::invalid("invalid environment variable: " + entry);
        if (value) {
            env.push_back(entry);
        } else if (const char* from_host = std::getenv(key.c_str())) {
            // "-e NAME" passes the client's own value on, or nothing when it has none.
            env.push_back(key + "=" + from_host);
        }
    }
    body["Env"] = env;
    body["Cmd"] = options.command.empty() ? Json(nullptr) : Json(options.command);
    body["Image"] = options.image;
    Json volumes = Json::object();
    Json binds = Json::array();
    for (const auto& volume : options.volumes) {
        size_t colon = volume.find(':');
        if (volume.empty())
            return Error::invalid("invalid volume specification: ''");
        if (colon == std::string::npos) {
            if (volume.front() != '/')
                return Error::invalid("invalid volume specification: '" + volume + "'");
            volumes[volume] = Json::object();
            continue;
        }
        std::string source = absolute_source(volume.substr(0, colon));
        std::string rest = volume.substr(colon + 1);
        if (source.empty() || rest.empty() || rest.front() != '/')
            return Error::invalid("invalid volume specification: '" + volume + "'");
        binds.push_back(source + ":" + rest);
    }
    if (!volumes.empty())
        body["Volumes"] = volumes;
    if (!options.workdir.empty())
        body["WorkingDir"] = options.workdir;
    if (options.entrypoint)
        body["Entrypoint"] = Json::array({*options.entrypoint});
    Json labels = Json::object();
    for (const auto& label : options.labels) {
        auto [key, value] = split_key_value(label);
        if (key.empty())
            return Error::invalid("invalid label: " + label);
        labels[key] = value.value_or("");
    }
    body["Labels"] = labels;
    if (!options.stop_signal.empty())
        body["StopSignal"] = options.stop_signal;
    if (options.stop_timeout)
        body["StopTimeout"] = *options.stop_timeout;

    if (!binds.empty())
        host["Binds"] = binds;
    Json log_config = {{"Type", options.log_driver}, {"Config", Json::object()}};
    for (const auto& option : options.log_opts) {
        auto [key, value] = split_key_value(option);
        if (key.empty() || !value)
            return Error::invalid("invalid log opt: " + option);
        log_config["Config"][key] = *value;
    }
    host["LogConfig"] = log_config;
    host["NetworkMode"] = options.network.empty() ? "default" : options.network;
    host["RestartPolicy"] =
        options.restart.empty() ? Json{{"Name", "no"}} : TRY(parse_restart_policy(options.restart));
    if (options.remove && !options.restart.empty() && options.restart != "no")
        return Error::invalid("conflicting options: cannot specify both --restart and --rm");
    host["AutoRemove"] = options.remove;
    if (!options.volumes_from.empty())
        host["VolumesFrom"] = options.volumes_from;
    if (!options.cap_add.empty())
        host["CapAdd"] = options.cap_add;
    if (!options.cap_drop.empty())
        host["CapDrop"] = options.cap_drop;
    if (!options.ipc.empty())
        host["IpcMode"] = options.ipc;
    if (!options.pid.empty())
        host["PidMode"] = options.pid;
    if (!options.uts.empty())
        host["UTSMode"] = options.uts;
    host["Privileged"] = options.privileged;
    host["ReadonlyRootfs"] = options.read_only;
    if (!options.tmpfs.empty()) {
        Json tmpfs = Json::object();
        for (const auto& mount : options.tmpfs) {
            size_t colon = mount.find(':');
            std::string path = mount.substr(0, colon);
            if (path.empty() || path.front() != '/')
                return Error::invalid("invalid tmpfs mount: " + mount);
            tmpfs[path] = colon == std::string::npos ? "" : mount.substr(colon + 1);
        }
        host["Tmpfs"] = tmpfs;
    }
    if (!options.memory.empty())
        host["Memory"] = TRY(parse_memory_bytes(options.memory));
    if (!options.cpus.empty())
        host["NanoCpus"] = TRY(parse_nano_cpus(options.cpus));
    if (!options.devices.empty()) {
        Json devices = Json::array();
        for (const auto& device : options.devices)
            devices.push_back(TRY(parse_device(device)));
        host["Devices"] = devices;
    }
    if (options.tty && options.console_size)
        host["ConsoleSize"] = {options.console_size->first, options.console_size->second};
    body["HostConfig"] = host;
    return body;
}

}  // namespace corral::cli
