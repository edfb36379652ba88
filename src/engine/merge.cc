#include "engine/merge.h"

#include <algorithm>
#include <set>

#include "base/fs.h"
#include "base/sys.h"

namespace corral::engine {

namespace {

std::string_view env_key(std::string_view entry) {
    return entry.substr(0, entry.find('='));
}

}  // namespace

std::vector<std::string> merge_env(const std::vector<std::string>& defaults,
                                   const std::vector<std::string>& overrides) {
    std::vector<std::string> result = defaults;
    for (const auto& entry : overrides) {
        auto key = env_key(entry);
        auto same_key = [&](const std::string& existing) { return env_key(existing) == key; };
        auto found = std::find_if(result.begin(), result.end(), same_key);
        if (entry.find('=') == std::string::npos) {
            result.erase(std::remove_if(result.begin(), result.end(), same_key), result.end());
            continue;
        }
        if (found != result.end())
            *found = entry;
        else
            result.push_back(entry);
    }
    return result;
}

std::string clean_path(std::string_view path) {
    std::vector<std::string_view> parts;
    size_t position = 0;
    while (position <= path.size()) {
        size_t slash = path.find('/', position);
        if (slash == std::string_view::npos)
            slash = path.size();
        auto part = path.substr(position, slash - position);
        if (part == "..") {
            if (!parts.empty())
                parts.pop_back();
        } else if (!part.empty() && part != ".") {
            parts.push_back(part);
        }
        position = slash + 1;
    }
    std::string cleaned;
    for (auto part : parts) {
        cleaned += '/';
        cleaned += part;
    }
    return cleaned.empty() ? "/" : cleaned;
}

ErrorOr<ContainerConfig> merge_config(const ContainerConfig& user,
                                      const image::ImageConfig& image) {
    ContainerConfig merged = user;
    merged.env = merge_env(image.env, user.env);
    bool user_cmd = user.cmd && !user.cmd->empty();
    bool user_entrypoint = user.entrypoint && !user.entrypoint->empty();
    if (!user_entrypoint) {
        if (!user_cmd)
            merged.cmd = image.cmd;
        // An explicitly empty Entrypoint clears the image's; an absent one inherits it.
        if (!user.entrypoint)
            merged.entrypoint = image.entrypoint;
    } else if (user.entrypoint->size() == 1 && user.entrypoint->front().empty()) {
        // `--entrypoint ""`: no entrypoint at all, and the image's Cmd is not used either.
        merged.entrypoint = std::vector<std::string>{};
    }
    if (!merged.cmd)
        merged.cmd = std::vector<std::string>{};
    if (!merged.entrypoint)
        merged.entrypoint = std::vector<std::string>{};
    if (merged.working_dir.empty())
        merged.working_dir = image.working_dir;
    if (!merged.working_dir.empty()) {
        if (merged.working_dir.front() != '/')
            return Error::invalid("the working directory '" + merged.working_dir +
                                  "' is invalid, it needs to be an absolute path");
        merged.working_dir = clean_path(merged.working_dir);
    }
    if (merged.user.empty())
        merged.user = image.user;
    merged.labels = image.labels;
    for (const auto& [key, value] : user.labels)
        merged.labels[key] = value;
    if (merged.stop_signal.empty())
        merged.stop_signal = image.stop_signal;
    if (merged.entrypoint->empty() && merged.cmd->empty())
        return Error::invalid("No command specified");
    return merged;
}

ErrorOr<Command> command_of(const ContainerConfig& merged) {
    std::vector<std::string> all;
    if (merged.entrypoint)
        all = *merged.entrypoint;
    if (merged.cmd)
        all.insert(all.end(), merged.cmd->begin(), merged.cmd->end());
    if (all.empty() || all.front().empty())
        return Error::invalid("No command specified");
    Command command;
    command.path = all.front();
    command.args.assign(all.begin() + 1, all.end());
    return command;
}

ErrorOr<void> validate_mounts(const std::vector<MountSpec>& mounts) {
    static const std::set<std::string> propagations = {"",        "private", "rprivate", "shared",
                                                       "rshared", "slave",   "rslave"};
    std::set<std::string> targets;
    for (const auto& mount : mounts) {
        const char* type = mount.type == MountSpec::Type::bind     ? "bind"
                           : mount.type == MountSpec::Type::volume ? "volume"
                                                                   : "tmpfs";
        std::string prefix = std::string("invalid mount config for type \"") + type + "\": ";
        if (mount.target.empty())
            return Error::invalid(prefix + "field Target must not be empty");
        if (mount.target.front() != '/')
            return Error::invalid(prefix + "invalid mount path: '" + mount.target +
                                  "' mount path must be absolute");
        if (clean_path(mount.target) == "/")
            return Error::invalid(prefix + "invalid specification: destination can't be '/'");
        if (!targets.insert(clean_path(mount.target)).second)
            return Error::invalid("Duplicate mount point: " + clean_path(mount.target));
        if (!propagations.count(mount.propagation))
            return Error::invalid(prefix + "invalid propagation mode: " + mount.propagation);
        if (mount.type == MountSpec::Type::bind) {
            if (mount.source.empty())
                return Error::invalid(prefix + "field Source must not be empty");
            if (mount.source.front() != '/')
                return Error::invalid(prefix + "invalid mount path: '" + mount.source +
                                      "' mount path must be absolute");
            if (!mount.create_source) {
                auto present = TRY(sys::stat_if_exists(mount.source));
                if (!present)
                    return Error::invalid(prefix +
                                          "bind source path does not exist: " + mount.source);
            }
        } else if (mount.type == MountSpec::Type::tmpfs) {
            if (!mount.source.empty())
                return Error::invalid(prefix + "field Source must not be specified");
        } else if (!mount.source.empty()) {
            // A volume name: docker's rule for names, so it is safe as a directory name.
            for (size_t i = 0; i < mount.source.size(); ++i) {
                char c = mount.source[i];
                bool alnum =
                    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
                if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
                    return Error::invalid("create " + mount.source +
                                          ": volume name is too short or includes invalid "
                                          "characters");
            }
            if (mount.source.size() < 2 || mount.source.size() > 255)
                return Error::invalid("create " + mount.source +
                                      ": volume name is too short or too long");
        }
    }
    return {};
}

ErrorOr<VolumesFrom> parse_volumes_from(const std::string& text) {
    VolumesFrom result;
    auto colon = text.find(':');
    result.container = text.substr(0, colon);
    if (colon != std::string::npos) {
        auto mode = text.substr(colon + 1);
        if (mode == "ro")
            result.read_only = true;
        else if (mode == "rw")
            result.read_only = false;
        else
            return Error::invalid("invalid mode for volumes-from: " + mode);
    }
    if (result.container.empty())
        return Error::invalid("invalid volumes-from: " + text);
    return result;
}

}  // namespace corral::engine
