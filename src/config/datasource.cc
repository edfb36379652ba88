#include "config/datasource.h"

#include "base/fs.h"
#include "base/sys.h"
#include "config/cmdline.h"
#include "config/http.h"
#include "config/yaml.h"

namespace corral::config {

namespace {

ErrorOr<std::optional<std::string>> read_if_present(const std::string& path) {
    auto present = TRY(sys::stat_if_exists(path));
    if (!present)
        return std::optional<std::string>();
    return std::optional<std::string>(TRY(fs::read_file(path, max_document_bytes)));
}

std::string directory_or(std::string_view spec, std::string_view prefix, const char* fallback) {
    if (spec.size() > prefix.size() + 1 && spec[prefix.size()] == ':')
        return std::string(spec.substr(prefix.size() + 1));
    return fallback;
}

}  // namespace

ErrorOr<UserData::Kind> classify_user_data(std::string_view text) {
    size_t first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos)
        return UserData::Kind::empty;
    if (text.starts_with("#cloud-config"))
        return UserData::Kind::cloud_config;
    if (text.starts_with("#!"))
        return UserData::Kind::script;
    return Error::invalid("user data is neither #cloud-config nor a #! script");
}

ErrorOr<std::optional<UserData>> read_datasource(std::string_view spec, const LayerPaths& paths) {
    std::optional<std::string> text;
    std::string source(spec);
    if (spec.starts_with("file:")) {
        source = std::string(spec.substr(5));
        text = TRY(read_if_present(source));
    } else if (spec.starts_with("url:")) {
        source = std::string(spec.substr(4));
        text = TRY(http_get(source));
    } else if (spec == "configdrive" || spec.starts_with("configdrive:")) {
        source =
            directory_or(spec, "configdrive", "/media/config-2") + "/openstack/latest/user_data";
        text = TRY(read_if_present(source));
    } else if (spec == "nocloud" || spec.starts_with("nocloud:")) {
        source = directory_or(spec, "nocloud", "/media/cidata") + "/user-data";
        text = TRY(read_if_present(source));
    } else if (spec == "cmdline") {
        auto cmdline = TRY(read_if_present(paths.cmdline_file));
        if (!cmdline)
            return std::optional<UserData>();
        for (const auto& word : split_kernel_cmdline(*cmdline)) {
            if (word.starts_with("cloud-config-url="))
                source = word.substr(17);
        }
        if (source == "cmdline")
            return std::optional<UserData>();
        text = TRY(http_get(source));
    } else {
        return Error::invalid("unknown datasource `" + std::string(spec) + "`");
    }
    if (!text)
        return std::optional<UserData>();
    UserData data{source, std::move(*text), UserData::Kind::empty};
    data.kind = TRY_CONTEXT(classify_user_data(data.text), source);
    return std::optional<UserData>(std::move(data));
}

ErrorOr<SaveResult> save_user_data(const LayerPaths& paths,
                                   const std::vector<std::string>& datasources) {
    SaveResult result;
    for (const auto& spec : datasources) {
        auto data = read_datasource(spec, paths);
        if (!data) {
            result.errors.push_back(spec + ": " + data.error().message());
            continue;
        }
        if (!*data || (*data)->kind == UserData::Kind::empty)
            continue;
        UserData& found = **data;
        result.source = spec;
        if (found.kind == UserData::Kind::script) {
            result.written = fs::join(fs::dirname(paths.cloud_config_file), "cloud-config-script");
            TRY(fs::mkdir_p(fs::dirname(result.written)));
            TRY(fs::write_file_atomic(result.written, found.text, 0700));
            return result;
        }
        auto parsed = parse_cloud_config(found.text, found.source);
        if (!parsed) {
            // Unreadable YAML is not applied, and not fatal: the next datasource may do.
            result.errors.push_back(spec + ": " + parsed.error().message());
            result.source.clear();
            continue;
        }
        result.problems = std::move(parsed->problems);
        result.written = fs::join(paths.cloud_config_dir, "boot.yml");
        TRY(fs::mkdir_p(paths.cloud_config_dir));
        TRY(fs::write_file_atomic(result.written, found.text, 0600));
        return result;
    }
    return result;
}

}  // namespace corral::config
