// `docker pull`: manifest (picking the platform from a list), config and layers from a
// registry v2, each verified against its digest; layers already in the store are reused.
// Progress records are the per-layer lines of docker's pull stream ("Pulling fs layer",
// "Downloading", "Pull complete", "Already exists"); the caller writes the "Pulling from",
// "Digest:" and "Status:" lines from the reference and the PullResult.
#include "base/fs.h"
#include "base/sys.h"
#include "image/digest.h"
#include "image/formats.h"
#include "image/registry.h"
#include "image/store.h"
#include "image/store_state.h"

namespace corral::image {

namespace {

std::string human_size(int64_t bytes) {
    const char* units[] = {"B", "kB", "MB", "GB", "TB"};
    double value = static_cast<double>(bytes);
    int unit = 0;
    while (value >= 1000 && unit < 4) {
        value /= 1000;
        ++unit;
    }
    char buffer[32];
    snprintf(buffer, sizeof buffer, unit == 0 ? "%.0f%s" : "%.3g%s", value, units[unit]);
    return buffer;
}

// docker's bar: "[=====>      ]  1.2MB/3.4MB"
std::string progress_bar(int64_t current, int64_t total) {
    if (total <= 0)
        return human_size(current);
    int width = 50;
    int filled = static_cast<int>(width * std::min<int64_t>(current, total) / total);
    std::string bar = "[" + std::string(filled, '=');
    if (filled < width)
        bar += ">" + std::string(width - filled - 1, ' ');
    bar += "] " + human_size(current) + "/" + human_size(total);
    return bar;
}

}  // namespace

ErrorOr<PullResult> Store::pull(std::string_view text, const RegistryAuth& auth,
                                const ProgressSink& progress) {
    State& state = *state_;
    Reference reference = TRY(Reference::parse(text));
    auto report = [&](const std::string& id, const std::string& status, int64_t current = 0,
                      int64_t total = 0, const std::string& bar = {}) {
        if (progress)
            progress({id, status, current, total, bar});
    };
    if (state.options.before_pull)
        state.options.before_pull();
    RegistryOptions registry_options;
    registry_options.certs_dir = state.options.certs_dir;
    registry_options.insecure_registries = insecure_registries();
    auto client = TRY(RegistryClient::create(reference.domain, auth, registry_options));
    std::string wanted = reference.digest.empty() ? reference.tag : reference.digest;
    // Errors say which image, then what the registry said.
    auto context = "pull " + reference.familiar();
    FetchedManifest top = TRY_CONTEXT(client->get_manifest(reference.path, wanted), context);
    FetchedManifest fetched = top;
    if (TRY(is_manifest_index(top.body, top.content_type))) {
        ManifestIndex index = TRY_CONTEXT(parse_manifest_index(top.body), context);
        Platform platform{state.options.platform_os, state.options.platform_architecture, {}};
        Descriptor chosen = TRY_CONTEXT(select_platform(index, platform), context);
        fetched = TRY_CONTEXT(client->get_manifest(reference.path, chosen.digest), context);
    }
    Manifest manifest = TRY_CONTEXT(parse_manifest(fetched.body), context);
    if (manifest.config.size > static_cast<int64_t>(max_config_size))
        return Error(ErrorKind::too_large, context + ": config larger than allowed");
    std::string config_json = TRY_CONTEXT(
        client->get_blob(reference.path, manifest.config.digest, max_config_size), context);
    ImageConfig config = TRY_CONTEXT(parse_image_config(config_json), context);
    if (config.diff_ids.size() != manifest.layers.size())
        return Error::invalid(
            context + ": the manifest lists " + std::to_string(manifest.layers.size()) +
            " layers but the config has " + std::to_string(config.diff_ids.size()));
    std::string id = manifest.config.digest;
    // As dockerd: "up to date" only when the name pulled (its tag, or its digest) already
    // pointed at this image; a new tag for content already here is "Downloaded newer image".
    Reference requested = reference;
    if (!requested.digest.empty())
        requested.tag.clear();
    bool up_to_date;
    {
        std::shared_lock lock(state.mutex);
        auto known = state.references.find(requested.string());
        up_to_date = known != state.references.end() && known->second == id;
    }

    LayerPins pins(state);
    for (const auto& diff_id : config.diff_ids)
        pins.pin(diff_id);
    fs::TempDir work = TRY(fs::TempDir::create(state.temp_root(), "pull"));
    // Announce every layer first, as docker does, then fetch them in order.
    for (size_t i = 0; i < manifest.layers.size(); ++i) {
        std::string shown = short_id(manifest.layers[i].digest);
        report(shown, state.has_layer(config.diff_ids[i]) ? "Already exists" : "Pulling fs layer");
    }
    for (size_t i = 0; i < manifest.layers.size(); ++i) {
        const Descriptor& layer = manifest.layers[i];
        const std::string& diff_id = config.diff_ids[i];
        if (state.has_layer(diff_id))
            continue;
        std::string shown = short_id(layer.digest);
        std::string file = work.path() + "/" + layer.digest.substr(7);
        report(shown, "Waiting");
        TRY_CONTEXT(client->download_blob(reference.path, layer.digest, file, layer.size,
                                          [&](int64_t current, int64_t total) {
                                              if (total <= 0)
                                                  total = layer.size;
                                              report(shown, "Downloading", current, total,
                                                     progress_bar(current, total));
                                          }),
                    context);
        report(shown, "Verifying Checksum");
        report(shown, "Download complete");
        TRY_CONTEXT(
            state.ingest_layer(file, layer.digest, layer.media_type, diff_id,
                               [&](const ProgressRecord& record) { report(shown, record.status); }),
            context);
        report(shown, "Pull complete");
    }

    std::vector<Reference> references;
    if (!reference.tag.empty()) {
        Reference tagged = reference;
        tagged.digest.clear();
        references.push_back(tagged);
    }
    Reference pinned = reference;
    pinned.tag.clear();
    pinned.digest = top.digest;
    references.push_back(pinned);
    std::string registered = TRY_CONTEXT(state.register_image(config_json, references), context);
    if (registered != id)
        return Error::invalid(context + ": config digest mismatch");

    PullResult result;
    result.id = id;
    result.digest = top.digest;
    result.reference = reference.familiar();
    result.downloaded_newer = !up_to_date;
    return result;
}

}  // namespace corral::image
