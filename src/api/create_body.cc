// The container's Config part of a create body, and the exec bodies. HostConfig and
// NetworkingConfig are in host_config.cc.
#include "api/create_body.h"

#include "api/host_config.h"
#include "api/json_fields.h"

namespace corral::api {

namespace {

ErrorOr<void> parse_config(Fields& fields, engine::ContainerConfig& config) {
    config.hostname = TRY(fields.string("Hostname"));
    config.domainname = TRY(fields.string("Domainname"));
    config.user = TRY(fields.string("User"));
    config.attach_stdin = TRY(fields.boolean("AttachStdin"));
    config.attach_stdout = TRY(fields.boolean("AttachStdout"));
    config.attach_stderr = TRY(fields.boolean("AttachStderr"));
    config.tty = TRY(fields.boolean("Tty"));
    config.open_stdin = TRY(fields.boolean("OpenStdin"));
    config.stdin_once = TRY(fields.boolean("StdinOnce"));
    config.env = TRY(fields.strings("Env"));
    for (const auto& entry : config.env) {
        if (entry.empty() || entry.front() == '=')
            return Error::invalid("invalid environment variable: \"" + entry + "\"");
    }
    config.cmd = TRY(fields.optional_strings("Cmd"));
    config.entrypoint = TRY(fields.optional_strings("Entrypoint"));
    config.image = TRY(fields.string("Image"));
    config.working_dir = TRY(fields.string("WorkingDir"));
    if (!config.working_dir.empty() && config.working_dir.front() != '/')
        return Error::invalid("the working directory '" + config.working_dir +
                              "' is invalid, it needs to be an absolute path");
    config.labels = TRY(fields.string_map("Labels"));
    config.stop_signal = TRY(fields.string("StopSignal"));
    if (auto timeout = TRY(fields.optional_integer("StopTimeout"))) {
        if (*timeout < -1 || *timeout > 86400 * 365)
            return Error::invalid("invalid value for StopTimeout: " + std::to_string(*timeout));
        config.stop_timeout = static_cast<int>(*timeout);
    }
    // Build-time and network-only settings that have no meaning here.
    fields.ignore("ArgsEscaped");  // Windows only
    fields.ignore("OnBuild");      // image building
    TRY(fields.unsupported("ExposedPorts"));
    TRY(fields.unsupported("Healthcheck"));
    TRY(fields.unsupported("NetworkDisabled"));
    TRY(fields.unsupported("MacAddress"));
    TRY(fields.unsupported("Shell"));
    return {};
}

}  // namespace

ErrorOr<std::string> validate_container_name(std::string_view name) {
    std::string_view bare = name;
    if (!bare.empty() && bare.front() == '/')
        bare.remove_prefix(1);
    auto alphanumeric = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    };
    bool valid = bare.size() >= 2 && bare.size() <= 253 && alphanumeric(bare.front());
    for (char c : bare) {
        if (!(alphanumeric(c) || c == '_' || c == '.' || c == '-'))
            valid = false;
    }
    if (!valid)
        return Error::invalid("Invalid container name (" + std::string(name) +
                              "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
    return std::string(bare);
}

ErrorOr<engine::CreateRequest> parse_create_body(std::string_view body, std::string name) {
    engine::CreateRequest request;
    if (!name.empty())
        request.name = TRY(validate_container_name(name));
    auto document = TRY(parse_json_body(body));
    auto fields = TRY(Fields::of(document, ""));
    TRY(parse_config(fields, request.config));
    if (request.config.image.empty())
        return Error::invalid("no image was given: Image is required");
    // Anonymous volumes from "-v /path" ride in Config.Volumes.
    for (auto& target : TRY(fields.key_set("Volumes"))) {
        engine::MountSpec mount;
        mount.type = engine::MountSpec::Type::volume;
        mount.target = target;
        request.host_config.mounts.push_back(std::move(mount));
    }
    auto host_fields = TRY(fields.object("HostConfig"));
    TRY(parse_host_config(host_fields, request.host_config));
    TRY(host_fields.finish());
    auto networking = TRY(fields.object("NetworkingConfig"));
    TRY(parse_networking_config(networking, request.host_config.network_mode));
    TRY(networking.finish());
    TRY(fields.finish());
    TRY(check_host_config(request));
    return request;
}

ErrorOr<engine::ExecConfig> parse_exec_body(std::string_view body) {
    auto document = TRY(parse_json_body(body));
    auto fields = TRY(Fields::of(document, ""));
    engine::ExecConfig config;
    config.user = TRY(fields.string("User"));
    config.privileged = TRY(fields.boolean("Privileged"));
    config.tty = TRY(fields.boolean("Tty"));
    config.attach_stdin = TRY(fields.boolean("AttachStdin"));
    config.attach_stdout = TRY(fields.boolean("AttachStdout"));
    config.attach_stderr = TRY(fields.boolean("AttachStderr"));
    config.detach_keys = TRY(fields.string("DetachKeys"));
    config.env = TRY(fields.strings("Env"));
    config.working_dir = TRY(fields.string("WorkingDir"));
    if (!config.working_dir.empty() && config.working_dir.front() != '/')
        return Error::invalid("the working directory '" + config.working_dir +
                              "' is invalid, it needs to be an absolute path");
    config.cmd = TRY(fields.strings("Cmd"));
    fields.ignore("Detach");  // decided again at start
    config.console_size = TRY(parse_console_size(fields, "ConsoleSize"));
    TRY(fields.finish());
    if (config.cmd.empty())
        return Error::invalid("No exec command specified");
    return config;
}

ErrorOr<engine::ExecStartOptions> parse_exec_start_body(std::string_view body) {
    auto document = TRY(parse_json_body(body, true));
    auto fields = TRY(Fields::of(document, ""));
    engine::ExecStartOptions options;
    options.detach = TRY(fields.boolean("Detach"));
    options.tty = TRY(fields.boolean("Tty"));
    options.console_size = TRY(parse_console_size(fields, "ConsoleSize"));
    TRY(fields.finish());
    return options;
}

}  // namespace corral::api
