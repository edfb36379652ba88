#include "image/formats.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <ctime>

#include "image/reference.h"

namespace corral::image {

namespace {

using Json = nlohmann::json;

ErrorOr<Json> parse_json(std::string_view text, size_t limit, std::string_view what) {
    if (text.size() > limit)
        return Error(ErrorKind::too_large,
                     std::string(what) + " larger than " + std::to_string(limit) + " bytes");
    try {
        Json value = Json::parse(text.begin(), text.end());
        if (!value.is_object() && !value.is_array())
            return Error::invalid(std::string(what) + ": not a JSON object");
        return value;
    } catch (const Json::exception& error) {
        return Error::invalid(std::string(what) + ": " + error.what());
    }
}

// Field readers: absent and null are "empty"; a wrong type is an error naming the key.
ErrorOr<std::string> get_string(const Json& object, const char* key, std::string_view where) {
    auto it = object.find(key);
    if (it == object.end() || it->is_null())
        return std::string();
    if (!it->is_string())
        return Error::invalid(std::string(where) + "." + key + ": want a string");
    return it->get<std::string>();
}

ErrorOr<std::vector<std::string>> get_strings(const Json& object, const char* key,
                                              std::string_view where) {
    std::vector<std::string> values;
    auto it = object.find(key);
    if (it == object.end() || it->is_null())
        return values;
    if (!it->is_array())
        return Error::invalid(std::string(where) + "." + key + ": want an array of strings");
    for (const auto& item : *it) {
        if (!item.is_string())
            return Error::invalid(std::string(where) + "." + key + ": want an array of strings");
        values.push_back(item.get<std::string>());
    }
    return values;
}

ErrorOr<std::optional<std::vector<std::string>>> get_optional_strings(const Json& object,
                                                                      const char* key,
                                                                      std::string_view where) {
    auto it = object.find(key);
    if (it == object.end() || it->is_null())
        return std::optional<std::vector<std::string>>();
    return std::optional<std::vector<std::string>>(TRY(get_strings(object, key, where)));
}

// Docker encodes sets as objects with empty values: {"80/tcp": {}}.
ErrorOr<std::vector<std::string>> get_key_set(const Json& object, const char* key,
                                              std::string_view where) {
    std::vector<std::string> values;
    auto it = object.find(key);
    if (it == object.end() || it->is_null())
        return values;
    if (!it->is_object())
        return Error::invalid(std::string(where) + "." + key + ": want an object");
    for (const auto& item : it->items())
        values.push_back(item.key());
    std::sort(values.begin(), values.end());
    return values;
}

ErrorOr<std::map<std::string, std::string>> get_string_map(const Json& object, const char* key,
                                                           std::string_view where) {
    std::map<std::string, std::string> values;
    auto it = object.find(key);
    if (it == object.end() || it->is_null())
        return values;
    if (!it->is_object())
        return Error::invalid(std::string(where) + "." + key + ": want an object of strings");
    for (const auto& item : it->items()) {
        if (!item.value().is_string())
            return Error::invalid(std::string(where) + "." + key + "." + item.key() +
                                  ": want a string");
        values[item.key()] = item.value().get<std::string>();
    }
    return values;
}

ErrorOr<Descriptor> parse_descriptor(const Json& value, std::string_view where) {
    if (!value.is_object())
        return Error::invalid(std::string(where) + ": want an object");
    Descriptor descriptor;
    descriptor.media_type = TRY(get_string(value, "mediaType", where));
    descriptor.digest = TRY(get_string(value, "digest", where));
    if (!is_digest(descriptor.digest))
        return Error::invalid(std::string(where) + ".digest: want sha256:<64 hex digits>, got `" +
                              descriptor.digest.substr(0, 100) + "`");
    auto size = value.find("size");
    if (size != value.end()) {
        if (!size->is_number_integer() || size->get<int64_t>() < 0)
            return Error::invalid(std::string(where) + ".size: want a non-negative integer");
        descriptor.size = size->get<int64_t>();
    }
    auto platform = value.find("platform");
    if (platform != value.end() && platform->is_object()) {
        descriptor.platform.os = TRY(get_string(*platform, "os", where));
        descriptor.platform.architecture = TRY(get_string(*platform, "architecture", where));
        descriptor.platform.variant = TRY(get_string(*platform, "variant", where));
    }
    descriptor.annotations = TRY(get_string_map(value, "annotations", where));
    return descriptor;
}

}  // namespace

ErrorOr<ImageConfig> parse_image_config(std::string_view text) {
    Json json = TRY(parse_json(text, max_config_size, "image config"));
    if (!json.is_object())
        return Error::invalid("image config: not a JSON object");
    ImageConfig config;
    config.architecture = TRY(get_string(json, "architecture", "config"));
    config.os = TRY(get_string(json, "os", "config"));
    config.variant = TRY(get_string(json, "variant", "config"));
    config.created = TRY(get_string(json, "created", "config"));
    config.author = TRY(get_string(json, "author", "config"));
    config.comment = TRY(get_string(json, "comment", "config"));
    auto inner = json.find("config");
    if (inner != json.end() && inner->is_object()) {
        const Json& c = *inner;
        config.env = TRY(get_strings(c, "Env", "config.config"));
        config.cmd = TRY(get_optional_strings(c, "Cmd", "config.config"));
        config.entrypoint = TRY(get_optional_strings(c, "Entrypoint", "config.config"));
        config.working_dir = TRY(get_string(c, "WorkingDir", "config.config"));
        config.user = TRY(get_string(c, "User", "config.config"));
        config.labels = TRY(get_string_map(c, "Labels", "config.config"));
        config.exposed_ports = TRY(get_key_set(c, "ExposedPorts", "config.config"));
        config.volumes = TRY(get_key_set(c, "Volumes", "config.config"));
        config.stop_signal = TRY(get_string(c, "StopSignal", "config.config"));
    } else if (inner != json.end() && !inner->is_null()) {
        return Error::invalid("config.config: want an object");
    }
    auto rootfs = json.find("rootfs");
    if (rootfs == json.end() || !rootfs->is_object())
        return Error::invalid("image config: no rootfs");
    config.diff_ids = TRY(get_strings(*rootfs, "diff_ids", "config.rootfs"));
    if (config.diff_ids.size() > max_layers)
        return Error(ErrorKind::too_large,
                     "image config: more than " + std::to_string(max_layers) + " layers");
    for (const auto& diff_id : config.diff_ids)
        if (!is_digest(diff_id))
            return Error::invalid("config.rootfs.diff_ids: invalid digest `" +
                                  diff_id.substr(0, 100) + "`");
    auto history = json.find("history");
    if (history != json.end() && history->is_array()) {
        for (const auto& item : *history) {
            if (!item.is_object())
                return Error::invalid("config.history: want objects");
            HistoryEntry entry;
            entry.created = TRY(get_string(item, "created", "config.history"));
            entry.created_by = TRY(get_string(item, "created_by", "config.history"));
            entry.author = TRY(get_string(item, "author", "config.history"));
            entry.comment = TRY(get_string(item, "comment", "config.history"));
            auto empty = item.find("empty_layer");
            entry.empty_layer = empty != item.end() && empty->is_boolean() && empty->get<bool>();
            config.history.push_back(std::move(entry));
        }
    }
    return config;
}

ErrorOr<bool> is_manifest_index(std::string_view text, std::string_view content_type) {
    if (content_type == media_type::docker_manifest_list || content_type == media_type::oci_index)
        return true;
    if (content_type == media_type::docker_manifest || content_type == media_type::oci_manifest)
        return false;
    Json json = TRY(parse_json(text, max_manifest_size, "manifest"));
    if (!json.is_object())
        return Error::invalid("manifest: not a JSON object");
    std::string type = TRY(get_string(json, "mediaType", "manifest"));
    if (type == media_type::docker_manifest_list || type == media_type::oci_index)
        return true;
    if (type == media_type::docker_manifest || type == media_type::oci_manifest)
        return false;
    return json.contains("manifests");
}

ErrorOr<Manifest> parse_manifest(std::string_view text) {
    Json json = TRY(parse_json(text, max_manifest_size, "manifest"));
    if (!json.is_object())
        return Error::invalid("manifest: not a JSON object");
    auto version = json.find("schemaVersion");
    if (version == json.end() || !version->is_number_integer() || version->get<int>() != 2)
        return Error(ErrorKind::unsupported, "manifest: only schemaVersion 2 is supported");
    Manifest manifest;
    manifest.media_type = TRY(get_string(json, "mediaType", "manifest"));
    auto config = json.find("config");
    if (config == json.end())
        return Error::invalid("manifest: no config");
    manifest.config = TRY(parse_descriptor(*config, "manifest.config"));
    auto layers = json.find("layers");
    if (layers == json.end() || !layers->is_array())
        return Error::invalid("manifest: no layers array");
    if (layers->size() > max_layers)
        return Error(ErrorKind::too_large, "manifest: too many layers");
    for (const auto& layer : *layers)
        manifest.layers.push_back(TRY(parse_descriptor(layer, "manifest.layers")));
    return manifest;
}

ErrorOr<ManifestIndex> parse_manifest_index(std::string_view text) {
    Json json = TRY(parse_json(text, max_manifest_size, "manifest index"));
    if (!json.is_object())
        return Error::invalid("manifest index: not a JSON object");
    ManifestIndex index;
    index.media_type = TRY(get_string(json, "mediaType", "index"));
    auto manifests = json.find("manifests");
    if (manifests == json.end() || !manifests->is_array())
        return Error::invalid("manifest index: no manifests array");
    if (manifests->size() > 10000)
        return Error(ErrorKind::too_large, "manifest index: too many manifests");
    for (const auto& item : *manifests)
        index.manifests.push_back(TRY(parse_descriptor(item, "index.manifests")));
    return index;
}

ErrorOr<std::vector<ArchiveManifestEntry>> parse_archive_manifest(std::string_view text) {
    Json json = TRY(parse_json(text, max_manifest_size, "manifest.json"));
    if (!json.is_array())
        return Error::invalid("manifest.json: want an array");
    if (json.size() > 10000)
        return Error(ErrorKind::too_large, "manifest.json: too many images");
    std::vector<ArchiveManifestEntry> entries;
    for (const auto& item : json) {
        if (!item.is_object())
            return Error::invalid("manifest.json: want an array of objects");
        ArchiveManifestEntry entry;
        entry.config = TRY(get_string(item, "Config", "manifest.json"));
        if (entry.config.empty())
            return Error::invalid("manifest.json: an entry without Config");
        entry.repo_tags = TRY(get_strings(item, "RepoTags", "manifest.json"));
        entry.layers = TRY(get_strings(item, "Layers", "manifest.json"));
        if (entry.layers.size() > max_layers)
            return Error(ErrorKind::too_large, "manifest.json: too many layers");
        entries.push_back(std::move(entry));
    }
    return entries;
}

ErrorOr<Descriptor> select_platform(const ManifestIndex& index, const Platform& wanted) {
    std::string available;
    for (const auto& descriptor : index.manifests) {
        const Platform& platform = descriptor.platform;
        if (platform.os == wanted.os && platform.architecture == wanted.architecture &&
            (wanted.variant.empty() || platform.variant == wanted.variant))
            return descriptor;
        if (!available.empty())
            available += ", ";
        available += platform.os + "/" + platform.architecture;
        if (!platform.variant.empty())
            available += "/" + platform.variant;
    }
    return Error::not_found("no matching manifest for " + wanted.os + "/" + wanted.architecture +
                            " in the manifest list entries (available: " + available + ")");
}

int64_t parse_rfc3339(std::string_view text) {
    if (text.size() < 19)
        return 0;
    std::tm tm{};
    std::string head(text.substr(0, 19));
    if (!strptime(head.c_str(), "%Y-%m-%dT%H:%M:%S", &tm))
        return 0;
    int64_t seconds = timegm(&tm);
    std::string_view rest = text.substr(19);
    if (!rest.empty() && rest.front() == '.') {
        size_t i = 1;
        while (i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i])))
            ++i;
        rest = rest.substr(i);
    }
    if (rest.size() >= 6 && (rest.front() == '+' || rest.front() == '-')) {
        int hours = (rest[1] - '0') * 10 + (rest[2] - '0');
        int minutes = (rest[4] - '0') * 10 + (rest[5] - '0');
        int offset = (hours * 60 + minutes) * 60;
        seconds += rest.front() == '+' ? -offset : offset;
    }
    return seconds;
}

std::string format_rfc3339(int64_t seconds, long nanoseconds) {
    time_t time = static_cast<time_t>(seconds);
    std::tm tm{};
    gmtime_r(&time, &tm);
    char buffer[64];
    strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
    std::string text = buffer;
    if (nanoseconds > 0) {
        char fraction[32];
        snprintf(fraction, sizeof fraction, ".%09ld", nanoseconds);
        std::string digits = fraction;
        while (digits.back() == '0')
            digits.pop_back();
        text += digits;
    }
    return text + "Z";
}

}  // namespace corral::image
