// The shim's command line: --key=value pairs, one per option, so nothing is parsed twice.
#include <charconv>
#include <functional>

#include "runtime/shim.h"

namespace corral::runtime {

namespace {

std::string flag(bool value) {
    return value ? "1" : "0";
}

ErrorOr<int64_t> parse_number(const std::string& key, const std::string& text) {
    int64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size())
        return Error::invalid("--" + key + ": not a number: " + text);
    return value;
}

}  // namespace

std::vector<std::string> shim_command_line(const RuntimeOptions& runtime,
                                           const ShimOptions& options, int ready_fd) {
    return {
        "--id=" + options.id,
        "--container-dir=" + options.container_dir,
        "--exec-root=" + options.exec_root_dir,
        "--tty=" + flag(options.tty),
        "--open-stdin=" + flag(options.open_stdin),
        "--stdin-once=" + flag(options.stdin_once),
        "--start-immediately=" + flag(options.start_immediately),
        "--log-type=" + options.log_config.type,
        "--log-path=" + options.log_path,
        "--log-max-size=" + std::to_string(options.log_config.max_size),
        "--log-max-file=" + std::to_string(options.log_config.max_file),
        "--rows=" + std::to_string(options.rows),
        "--columns=" + std::to_string(options.columns),
        "--crun=" + runtime.crun_path,
        "--crun-root=" + runtime.crun_root,
        "--cgroup-mount=" + runtime.cgroup_mount,
        "--cgroup-parent=" + runtime.cgroup_parent,
        "--crun-fixed-addresses=" + flag(runtime.crun_fixed_addresses),
        "--ready-fd=" + std::to_string(ready_fd),
    };
}

ErrorOr<ShimArguments> parse_shim_command_line(const std::vector<std::string>& arguments) {
    ShimArguments result;
    auto& shim = result.shim;
    auto& runtime = result.runtime;
    using Setter = std::function<ErrorOr<void>(const std::string& key, const std::string&)>;
    auto text = [](std::string& target) -> Setter {
        return [&target](const std::string&, const std::string& value) -> ErrorOr<void> {
            target = value;
            return {};
        };
    };
    auto boolean = [](bool& target) -> Setter {
        return [&target](const std::string& key, const std::string& value) -> ErrorOr<void> {
            if (value != "0" && value != "1")
                return Error::invalid("--" + key + ": expected 0 or 1");
            target = value == "1";
            return {};
        };
    };
    auto number = [](auto& target, int64_t low, int64_t high) -> Setter {
        return [&target, low, high](const std::string& key,
                                    const std::string& value) -> ErrorOr<void> {
            int64_t parsed = TRY(parse_number(key, value));
            if (parsed < low || parsed > high)
                return Error::invalid("--" + key + ": out of range");
            target = static_cast<std::remove_reference_t<decltype(target)>>(parsed);
            return {};
        };
    };
    const std::pair<const char*, Setter> table[] = {
        {"id", text(shim.id)},
        {"container-dir", text(shim.container_dir)},
        {"exec-root", text(shim.exec_root_dir)},
        {"tty", boolean(shim.tty)},
        {"open-stdin", boolean(shim.open_stdin)},
        {"stdin-once", boolean(shim.stdin_once)},
        {"start-immediately", boolean(shim.start_immediately)},
        {"log-type", text(shim.log_config.type)},
        {"log-path", text(shim.log_path)},
        {"log-max-size", number(shim.log_config.max_size, 0, INT64_MAX)},
        {"log-max-file", number(shim.log_config.max_file, 1, 1000)},
        {"rows", number(shim.rows, 0, 65535)},
        {"columns", number(shim.columns, 0, 65535)},
        {"crun", text(runtime.crun_path)},
        {"crun-root", text(runtime.crun_root)},
        {"cgroup-mount", text(runtime.cgroup_mount)},
        {"cgroup-parent", text(runtime.cgroup_parent)},
        {"crun-fixed-addresses", boolean(runtime.crun_fixed_addresses)},
        {"ready-fd", number(result.ready_fd, -1, 1 << 20)},
    };
    for (const auto& argument : arguments) {
        if (!argument.starts_with("--"))
            return Error::invalid("unexpected argument `" + argument + "`");
        size_t equals = argument.find('=');
        if (equals == std::string::npos)
            return Error::invalid("expected --key=value: `" + argument + "`");
        std::string key = argument.substr(2, equals - 2);
        std::string value = argument.substr(equals + 1);
        bool known = false;
        for (const auto& [name, setter] : table) {
            if (key == name) {
                TRY(setter(key, value));
                known = true;
                break;
            }
        }
        if (!known)
            return Error::invalid("unknown option --" + key);
    }
    if (shim.id.empty() || shim.container_dir.empty() || shim.exec_root_dir.empty())
        return Error::invalid("--id, --container-dir and --exec-root are required");
    return result;
}

}  // namespace corral::runtime
