// `docker import`: a rootfs tar (plain or compressed) becomes a one-layer image, with
// `--change` instructions applied to its config.
#include <fcntl.h>
#include <sys/utsname.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "base/sys.h"
#include "image/digest.h"
#include "image/formats.h"
#include "image/store.h"
#include "image/store_state.h"

namespace corral::image {

namespace {

using Json = nlohmann::json;

constexpr size_t max_change_length = 64 << 10;

// Splits on whitespace; double quotes group and are removed, backslash escapes inside them.
ErrorOr<std::vector<std::string>> split_words(std::string_view text) {
    std::vector<std::string> words;
    std::string word;
    bool in_word = false;
    bool quoted = false;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (quoted) {
            if (c == '\\' && i + 1 < text.size())
                word += text[++i];
            else if (c == '"')
                quoted = false;
            else
                word += c;
        } else if (c == '"') {
            quoted = in_word = true;
        } else if (c == ' ' || c == '\t') {
            if (in_word)
                words.push_back(std::move(word));
            word.clear();
            in_word = false;
        } else {
            word += c;
            in_word = true;
        }
    }
    if (quoted)
        return Error::invalid("unterminated quote in `" + std::string(text) + "`");
    if (in_word)
        words.push_back(std::move(word));
    return words;
}

// Dockerfile's exec form (a JSON array of strings) or shell form (`sh -c`).
ErrorOr<std::vector<std::string>> command_words(std::string_view text, bool shell_form_ok) {
    if (text.starts_with("[")) {
        try {
            Json json = Json::parse(text);
            std::vector<std::string> words;
            for (const auto& item : json) {
                if (!item.is_string())
                    return Error::invalid("want a JSON array of strings: " + std::string(text));
                words.push_back(item.get<std::string>());
            }
            return words;
        } catch (const Json::exception&) {
            // Not JSON: docker falls back to the shell form too.
        }
    }
    if (!shell_form_ok)
        return split_words(text);
    return std::vector<std::string>{"/bin/sh", "-c", std::string(text)};
}

ErrorOr<std::vector<std::pair<std::string, std::string>>> key_values(std::string_view text,
                                                                     std::string_view what) {
    std::vector<std::pair<std::string, std::string>> pairs;
    auto words = TRY(split_words(text));
    if (words.empty())
        return Error::invalid(std::string(what) + " needs an argument");
    if (words.front().find('=') == std::string::npos) {
        // "ENV KEY value with spaces"
        std::string key = words.front();
        std::string_view rest = text.substr(text.find(key) + key.size());
        while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t'))
            rest.remove_prefix(1);
        pairs.emplace_back(key, std::string(rest));
        return pairs;
    }
    for (const auto& word : words) {
        size_t equals = word.find('=');
        if (equals == std::string::npos || equals == 0)
            return Error::invalid(std::string(what) + ": want KEY=value, got `" + word + "`");
        pairs.emplace_back(word.substr(0, equals), word.substr(equals + 1));
    }
    return pairs;
}

ErrorOr<void> apply_change(Json& config, std::string_view change) {
    if (change.size() > max_change_length)
        return Error(ErrorKind::too_large, "change too long");
    while (!change.empty() && (change.front() == ' ' || change.front() == '\t'))
        change.remove_prefix(1);
    size_t space = change.find_first_of(" \t");
    std::string instruction(change.substr(0, space));
    std::transform(instruction.begin(), instruction.end(), instruction.begin(), ::toupper);
    std::string_view rest = space == std::string_view::npos ? "" : change.substr(space + 1);
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t'))
        rest.remove_prefix(1);
    while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t' || rest.back() == '\n'))
        rest.remove_suffix(1);
    if (instruction == "CMD" || instruction == "ENTRYPOINT") {
        config[instruction == "CMD" ? "Cmd" : "Entrypoint"] = TRY(command_words(rest, true));
    } else if (instruction == "ENV") {
        Json& env = config["Env"];
        if (!env.is_array())
            env = Json::array();
        for (const auto& pair : TRY(key_values(rest, "ENV"))) {
            const std::string& key = pair.first;
            std::string entry = key + "=" + pair.second;
            auto it = std::find_if(env.begin(), env.end(), [&](const Json& item) {
                return item.get<std::string>().starts_with(key + "=");
            });
            if (it != env.end())
                *it = entry;
            else
                env.push_back(entry);
        }
    } else if (instruction == "LABEL") {
        for (const auto& [key, value] : TRY(key_values(rest, "LABEL")))
            config["Labels"][key] = value;
    } else if (instruction == "WORKDIR" || instruction == "USER" || instruction == "STOPSIGNAL") {
        if (rest.empty())
            return Error::invalid(instruction + " needs an argument");
        const char* key = instruction == "WORKDIR" ? "WorkingDir"
                          : instruction == "USER"  ? "User"
                                                   : "StopSignal";
        config[key] = std::string(rest);
    } else if (instruction == "EXPOSE") {
        for (auto port : TRY(split_words(rest))) {
            if (port.find('/') == std::string::npos)
                port += "/tcp";
            config["ExposedPorts"][port] = Json::object();
        }
    } else if (instruction == "VOLUME") {
        for (const auto& path : TRY(command_words(rest, false)))
            config["Volumes"][path] = Json::object();
    } else {
        return Error::invalid("unsupported change instruction `" + instruction +
                              "` (supported: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, "
                              "USER, VOLUME, WORKDIR)");
    }
    return {};
}

std::string host_architecture() {
    utsname name{};
    ::uname(&name);
    std::string machine = name.machine;
    if (machine == "x86_64")
        return "amd64";
    if (machine == "aarch64")
        return "arm64";
    return machine;
}

}  // namespace

ErrorOr<Image> Store::import_rootfs(int fd, const ImportOptions& options) {
    State& state = *state_;
    std::optional<Reference> reference;
    if (options.reference && !options.reference->empty()) {
        reference = TRY_CONTEXT(Reference::parse(*options.reference), "import");
        if (!reference->digest.empty())
            return Error::invalid("import: the name must be a tag, not a digest");
    }
    Json container_config = Json::object();
    for (const auto& change : options.changes)
        TRY_CONTEXT(apply_change(container_config, change), "import: --change `" + change + "`");

    // Keep the input as the layer's blob, hashing it on the way.
    fs::TempDir work = TRY(fs::TempDir::create(state.temp_root(), "import"));
    std::string blob = work.path() + "/blob";
    Sha256 hasher;
    {
        UniqueFd out = TRY(sys::open(blob, O_WRONLY | O_CREAT | O_EXCL, 0600));
        char buffer[65536];
        for (;;) {
            size_t n = TRY_CONTEXT(sys::read(fd, buffer), "import: reading the rootfs");
            if (n == 0)
                break;
            hasher.update(buffer, n);
            TRY(sys::write_all(out.get(), std::string_view(buffer, n)));
        }
    }
    std::string blob_digest = hasher.digest();
    unsigned char magic[4] = {};
    {
        UniqueFd in = TRY(sys::open(blob, O_RDONLY));
        (void)::read(in.get(), magic, sizeof magic);
    }
    std::string media(media_type::oci_layer);
    if (magic[0] == 0x1f && magic[1] == 0x8b)
        media += "+gzip";
    else if (magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
        media += "+zstd";
    LayerPins pins(state);
    LayerRecord layer = TRY_CONTEXT(state.ingest_layer(blob, blob_digest, media, {}, {}), "import");
    pins.pin(layer.diff_id);

    std::string created = format_rfc3339(sys::realtime_ns() / 1000000000,
                                         static_cast<long>(sys::realtime_ns() % 1000000000));
    std::string comment = options.message.empty() ? "Imported from -" : options.message;
    Json config = {
        {"architecture", options.architecture.empty() ? host_architecture() : options.architecture},
        {"os", options.os.empty() ? "linux" : options.os},
        {"created", created},
        {"config", container_config},
        {"rootfs", {{"type", "layers"}, {"diff_ids", {layer.diff_id}}}},
        {"history", {{{"created", created}, {"comment", comment}}}},
    };
    if (!options.message.empty())
        config["comment"] = options.message;
    std::vector<Reference> references;
    if (reference)
        references.push_back(*reference);
    std::string id = TRY(state.register_image(config.dump(), references));
    return resolve(id);
}

}  // namespace corral::image
