#include "engine/state.h"

#include <nlohmann/json.hpp>

#include "engine/names.h"

namespace corral::engine {

using nlohmann::json;

namespace {

json mount_spec_json(const MountSpec& mount) {
    return {{"type", static_cast<int>(mount.type)},
            {"source", mount.source},
            {"target", mount.target},
            {"read_only", mount.read_only},
            {"propagation", mount.propagation},
            {"options", mount.options},
            {"create_source", mount.create_source}};
}

json mount_point_json(const MountPoint& mount) {
    return {{"type", static_cast<int>(mount.type)},
            {"name", mount.name},
            {"source", mount.source},
            {"destination", mount.destination},
            {"read_only", mount.read_only},
            {"propagation", mount.propagation},
            {"options", mount.options}};
}

json optional_strings(const std::optional<std::vector<std::string>>& value) {
    return value ? json(*value) : json(nullptr);
}

// Reads typed fields out of a JSON object, remembering the first error with its path.
class Reader {
  public:
    Reader(const json& object, std::string path) : object_(object), path_(std::move(path)) {
        if (!object_.is_object())
            fail("", "an object");
    }

    template <typename T>
    void get(const char* key, T& out, bool required = false) {
        if (!ok())
            return;
        auto found = object_.find(key);
        if (found == object_.end()) {
            if (required)
                error_ = path_ + "." + key + ": missing";
            return;
        }
        read(*found, key, out);
    }

    template <typename F>
    void each_object(const char* key, F&& f) {
        if (!ok())
            return;
        auto found = object_.find(key);
        if (found == object_.end())
            return;
        if (!found->is_array())
            return fail(key, "an array");
        for (size_t i = 0; i < found->size() && ok(); ++i) {
            Reader inner((*found)[i], path_ + "." + key + "[" + std::to_string(i) + "]");
            if (!inner.ok()) {
                error_ = inner.error_;
                return;
            }
            f(inner);
            if (!inner.ok())
                error_ = inner.error_;
        }
    }

    Reader object(const char* key) {
        auto found = object_.find(key);
        static const json empty = json::object();
        if (found == object_.end())
            return Reader(empty, path_ + "." + key);
        return Reader(*found, path_ + "." + key);
    }

    void absorb(const Reader& inner) {
        if (ok() && !inner.ok())
            error_ = inner.error_;
    }
    bool ok() const { return error_.empty(); }
    const std::string& error() const { return error_; }

  private:
    void fail(const char* key, const char* what) {
        if (ok())
            error_ = path_ + (key[0] ? std::string(".") + key : "") + ": expected " + what;
    }
    void read(const json& value, const char* key, std::string& out) {
        if (!value.is_string())
            return fail(key, "a string");
        out = value.get<std::string>();
    }
    void read(const json& value, const char* key, bool& out) {
        if (!value.is_boolean())
            return fail(key, "a boolean");
        out = value.get<bool>();
    }
    void read(const json& value, const char* key, int& out) {
        if (!value.is_number_integer())
            return fail(key, "an integer");
        auto wide = value.get<int64_t>();
        if (wide < INT32_MIN || wide > INT32_MAX)
            return fail(key, "a 32-bit integer");
        out = static_cast<int>(wide);
    }
    void read(const json& value, const char* key, int64_t& out) {
        if (!value.is_number_integer())
            return fail(key, "an integer");
        out = value.get<int64_t>();
    }
    void read(const json& value, const char* key, uint64_t& out) {
        if (!value.is_number_unsigned())
            return fail(key, "an unsigned integer");
        out = value.get<uint64_t>();
    }
    void read(const json& value, const char* key, std::vector<std::string>& out) {
        if (!value.is_array())
            return fail(key, "an array of strings");
        out.clear();
        for (const auto& item : value) {
            if (!item.is_string())
                return fail(key, "an array of strings");
            out.push_back(item.get<std::string>());
        }
    }
    void read(const json& value, const char* key, std::optional<std::vector<std::string>>& out) {
        if (value.is_null()) {
            out.reset();
            return;
        }
        std::vector<std::string> items;
        read(value, key, items);
        out = std::move(items);
    }
    void read(const json& value, const char* key, std::optional<int>& out) {
        if (value.is_null()) {
            out.reset();
            return;
        }
        int number = 0;
        read(value, key, number);
        out = number;
    }
    void read(const json& value, const char* key, ConsoleSize& out) {
        if (!value.is_array() || value.size() != 2 || !value[0].is_number_unsigned() ||
            !value[1].is_number_unsigned() || value[0].get<uint64_t>() > 65535 ||
            value[1].get<uint64_t>() > 65535)
            return fail(key, "[height, width]");
        out.height = value[0].get<unsigned short>();
        out.width = value[1].get<unsigned short>();
    }
    void read(const json& value, const char* key, std::map<std::string, std::string>& out) {
        if (!value.is_object())
            return fail(key, "an object of strings");
        out.clear();
        for (const auto& [name, item] : value.items()) {
            if (!item.is_string())
                return fail(key, "an object of strings");
            out[name] = item.get<std::string>();
        }
    }

    const json& object_;
    std::string path_;
    std::string error_;
};

template <typename E>
void read_enum(Reader& reader, const char* key, E& out, int last) {
    int value = static_cast<int>(out);
    reader.get(key, value);
    if (value < 0 || value > last)
        value = 0;
    out = static_cast<E>(value);
}

}  // namespace

std::string serialize_container(const Container& c) {
    const auto& config = c.config;
    const auto& host = c.host_config;
    json mounts = json::array();
    for (const auto& mount : host.mounts)
        mounts.push_back(mount_spec_json(mount));
    json devices = json::array();
    for (const auto& device : host.devices)
        devices.push_back({{"host_path", device.host_path},
                           {"container_path", device.container_path},
                           {"permissions", device.permissions}});
    json mount_points = json::array();
    for (const auto& mount : c.mounts)
        mount_points.push_back(mount_point_json(mount));
    const auto& r = host.resources;
    json document = {
        {"version", 1},
        {"id", c.id},
        {"name", c.name},
        {"created_ns", c.created_ns},
        {"image_id", c.image_id},
        {"path", c.path},
        {"args", c.args},
        {"log_path", c.log_path},
        {"mounts", mount_points},
        {"config",
         {{"image", config.image},
          {"hostname", config.hostname},
          {"domainname", config.domainname},
          {"user", config.user},
          {"env", config.env},
          {"cmd", optional_strings(config.cmd)},
          {"entrypoint", optional_strings(config.entrypoint)},
          {"working_dir", config.working_dir},
          {"labels", config.labels},
          {"tty", config.tty},
          {"open_stdin", config.open_stdin},
          {"stdin_once", config.stdin_once},
          {"attach_stdin", config.attach_stdin},
          {"attach_stdout", config.attach_stdout},
          {"attach_stderr", config.attach_stderr},
          {"stop_signal", config.stop_signal},
          {"stop_timeout", config.stop_timeout ? json(*config.stop_timeout) : json(nullptr)}}},
        {"host_config",
         {{"mounts", mounts},
          {"volumes_from", host.volumes_from},
          {"read_only_rootfs", host.read_only_rootfs},
          {"privileged", host.privileged},
          {"cap_add", host.cap_add},
          {"cap_drop", host.cap_drop},
          {"security_opt", host.security_opt},
          {"devices", devices},
          {"network_mode", host.network_mode},
          {"pid_mode", host.pid_mode},
          {"ipc_mode", host.ipc_mode},
          {"uts_mode", host.uts_mode},
          {"restart_policy",
           {{"name", static_cast<int>(host.restart_policy.name)},
            {"maximum_retry_count", host.restart_policy.maximum_retry_count}}},
          {"auto_remove", host.auto_remove},
          {"resources",
           {{"memory", r.memory},
            {"memory_swap", r.memory_swap},
            {"nano_cpus", r.nano_cpus},
            {"cpu_shares", r.cpu_shares},
            {"cpu_quota", r.cpu_quota},
            {"cpu_period", r.cpu_period},
            {"cpuset_cpus", r.cpuset_cpus},
            {"pids_limit", r.pids_limit}}},
          {"log_config",
           {{"type", host.log_config.type},
            {"max_size", host.log_config.max_size},
            {"max_file", host.log_config.max_file},
            {"options", host.log_config.options}}},
          {"sysctls", host.sysctls},
          {"extra_hosts", host.extra_hosts},
          {"dns", host.dns},
          {"dns_search", host.dns_search},
          {"group_add", host.group_add},
          {"shm_size", host.shm_size},
          {"init", host.init},
          {"console_size", {host.console_size.height, host.console_size.width}}}},
        {"state",
         {{"status", static_cast<int>(c.state.status)},
          {"pid", c.state.pid},
          {"exit_code", c.state.exit_code},
          {"oom_killed", c.state.oom_killed},
          {"error", c.state.error},
          {"started_at_ns", c.state.started_at_ns},
          {"finished_at_ns", c.state.finished_at_ns},
          {"restart_count", c.state.restart_count},
          {"stopped_by_user", c.state.stopped_by_user}}},
    };
    return document.dump(2) + "\n";
}

ErrorOr<Container> parse_container(std::string_view text) {
    if (text.size() > max_state_file_size)
        return Error(ErrorKind::too_large, "container record too large");
    json document = json::parse(text, nullptr, false);
    if (document.is_discarded())
        return Error::invalid("container record: not valid JSON");
    Container c;
    Reader top(document, "container");
    int version = 0;
    top.get("version", version, true);
    if (top.ok() && version != 1)
        return Error::invalid("container record: unknown version " + std::to_string(version));
    top.get("id", c.id, true);
    top.get("name", c.name, true);
    top.get("created_ns", c.created_ns);
    top.get("image_id", c.image_id);
    top.get("path", c.path);
    top.get("args", c.args);
    top.get("log_path", c.log_path);
    top.each_object("mounts", [&](Reader& m) {
        MountPoint mount;
        read_enum(m, "type", mount.type, 2);
        m.get("name", mount.name);
        m.get("source", mount.source);
        m.get("destination", mount.destination);
        m.get("read_only", mount.read_only);
        m.get("propagation", mount.propagation);
        m.get("options", mount.options);
        c.mounts.push_back(std::move(mount));
    });

    Reader config = top.object("config");
    auto& cc = c.config;
    config.get("image", cc.image);
    config.get("hostname", cc.hostname);
    config.get("domainname", cc.domainname);
    config.get("user", cc.user);
    config.get("env", cc.env);
    config.get("cmd", cc.cmd);
    config.get("entrypoint", cc.entrypoint);
    config.get("working_dir", cc.working_dir);
    config.get("labels", cc.labels);
    config.get("tty", cc.tty);
    config.get("open_stdin", cc.open_stdin);
    config.get("stdin_once", cc.stdin_once);
    config.get("attach_stdin", cc.attach_stdin);
    config.get("attach_stdout", cc.attach_stdout);
    config.get("attach_stderr", cc.attach_stderr);
    config.get("stop_signal", cc.stop_signal);
    config.get("stop_timeout", cc.stop_timeout);
    top.absorb(config);

    Reader host = top.object("host_config");
    auto& hc = c.host_config;
    host.each_object("mounts", [&](Reader& m) {
        MountSpec mount;
        read_enum(m, "type", mount.type, 2);
        m.get("source", mount.source);
        m.get("target", mount.target);
        m.get("read_only", mount.read_only);
        m.get("propagation", mount.propagation);
        m.get("options", mount.options);
        m.get("create_source", mount.create_source);
        hc.mounts.push_back(std::move(mount));
    });
    host.get("volumes_from", hc.volumes_from);
    host.get("read_only_rootfs", hc.read_only_rootfs);
    host.get("privileged", hc.privileged);
    host.get("cap_add", hc.cap_add);
    host.get("cap_drop", hc.cap_drop);
    host.get("security_opt", hc.security_opt);
    host.each_object("devices", [&](Reader& d) {
        DeviceSpec device;
        d.get("host_path", device.host_path);
        d.get("container_path", device.container_path);
        d.get("permissions", device.permissions);
        hc.devices.push_back(std::move(device));
    });
    host.get("network_mode", hc.network_mode);
    host.get("pid_mode", hc.pid_mode);
    host.get("ipc_mode", hc.ipc_mode);
    host.get("uts_mode", hc.uts_mode);
    Reader policy = host.object("restart_policy");
    read_enum(policy, "name", hc.restart_policy.name, 3);
    policy.get("maximum_retry_count", hc.restart_policy.maximum_retry_count);
    host.absorb(policy);
    host.get("auto_remove", hc.auto_remove);
    Reader resources = host.object("resources");
    auto& r = hc.resources;
    resources.get("memory", r.memory);
    resources.get("memory_swap", r.memory_swap);
    resources.get("nano_cpus", r.nano_cpus);
    resources.get("cpu_shares", r.cpu_shares);
    resources.get("cpu_quota", r.cpu_quota);
    resources.get("cpu_period", r.cpu_period);
    resources.get("cpuset_cpus", r.cpuset_cpus);
    resources.get("pids_limit", r.pids_limit);
    host.absorb(resources);
    Reader log = host.object("log_config");
    log.get("type", hc.log_config.type);
    log.get("max_size", hc.log_config.max_size);
    log.get("max_file", hc.log_config.max_file);
    log.get("options", hc.log_config.options);
    host.absorb(log);
    host.get("sysctls", hc.sysctls);
    host.get("extra_hosts", hc.extra_hosts);
    host.get("dns", hc.dns);
    host.get("dns_search", hc.dns_search);
    host.get("group_add", hc.group_add);
    host.get("shm_size", hc.shm_size);
    host.get("init", hc.init);
    host.get("console_size", hc.console_size);
    top.absorb(host);

    Reader state = top.object("state");
    auto& s = c.state;
    read_enum(state, "status", s.status, static_cast<int>(Status::dead));
    state.get("pid", s.pid);
    state.get("exit_code", s.exit_code);
    state.get("oom_killed", s.oom_killed);
    state.get("error", s.error);
    state.get("started_at_ns", s.started_at_ns);
    state.get("finished_at_ns", s.finished_at_ns);
    state.get("restart_count", s.restart_count);
    state.get("stopped_by_user", s.stopped_by_user);
    top.absorb(state);

    if (!top.ok())
        return Error::invalid("container record: " + top.error());
    if (!is_full_id(c.id))
        return Error::invalid("container record: id is not 64 hex digits");
    if (c.name.empty() || c.name.size() > max_name_length)
        return Error::invalid("container record: bad name");
    return c;
}

}  // namespace corral::engine
