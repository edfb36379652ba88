// Image routes: list, inspect, history, pull and import (POST /images/create), tag, remove,
// save (get) and load.
#include <fnmatch.h>

#include <algorithm>
#include <optional>

#include "api/api.h"
#include "api/body_pipe.h"
#include "api/json_fields.h"
#include "api/json_out.h"
#include "api/query.h"
#include "image/reference.h"

namespace corral::api {

namespace {

using nlohmann::json;

constexpr size_t max_image_archive = size_t{64} << 30;  // load and import bodies

ErrorOr<void> respond_json(Exchange& exchange, int status, const json& body) {
    return exchange.respond(status, "application/json", dump(body) + "\n");
}

// A JSON-lines progress stream whose head is sent with the first line, so that a failure
// before any progress is still an HTTP error status (as docker answers).
class ProgressStream {
  public:
    explicit ProgressStream(Exchange& exchange) : exchange_(exchange) {}
    ErrorOr<void> line(const json& message) {
        if (!exchange_.response_started())
            TRY(exchange_.begin_stream(200, "application/json"));
        return exchange_.write(dump(message) + "\n");
    }
    // Reports `error` in the stream if it started, else returns it for an error status.
    ErrorOr<void> finish(ErrorOr<void> result) {
        if (!result.is_error())
            return exchange_.response_started() ? exchange_.end_stream() : ErrorOr<void>{};
        if (!exchange_.response_started())
            return result;
        const std::string& message = result.error().message();
        TRY(line({{"errorDetail", {{"message", message}}}, {"error", message}}));
        return exchange_.end_stream();
    }
    image::ProgressSink sink() {
        return [this](const image::ProgressRecord& record) {
            if (line(progress_json(record)).is_error())
                failed_ = true;
        };
    }
    bool failed() const { return failed_; }

  private:
    Exchange& exchange_;
    bool failed_ = false;
};

const std::string& name_param(const Exchange& exchange) {
    return exchange.request().params.at("name");
}

void publish(ApiContext& context, std::string action, std::string id, std::string name) {
    engine::Event event;
    event.type = "image";
    event.action = std::move(action);
    event.id = std::move(id);
    if (!name.empty())
        event.attributes["name"] = std::move(name);
    context.engine.publish(std::move(event));
}

ErrorOr<std::string> base64url_decode(std::string_view text) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z')
            return c - 'A';
        if (c >= 'a' && c <= 'z')
            return c - 'a' + 26;
        if (c >= '0' && c <= '9')
            return c - '0' + 52;
        if (c == '+' || c == '-')
            return 62;
        if (c == '/' || c == '_')
            return 63;
        return -1;
    };
    std::string out;
    uint32_t bits = 0;
    int count = 0;
    for (char c : text) {
        if (c == '=')
            break;
        int v = value(c);
        if (v < 0)
            return Error::invalid("invalid X-Registry-Auth header: not base64");
        bits = (bits << 6) | static_cast<uint32_t>(v);
        count += 6;
        if (count >= 8) {
            count -= 8;
            out += static_cast<char>((bits >> count) & 0xff);
        }
    }
    return out;
}

ErrorOr<image::RegistryAuth> registry_auth(const Request& request) {
    image::RegistryAuth auth;
    std::string header = request.header("x-registry-auth");
    if (header.empty())
        return auth;
    std::string decoded = TRY(base64url_decode(header));
    if (decoded.find_first_not_of(" \t\r\n") == std::string::npos)
        return auth;
    auto document = TRY(parse_json_body(decoded));
    auto fields = TRY(Fields::of(document, "X-Registry-Auth"));
    auth.username = TRY(fields.string("username"));
    auth.password = TRY(fields.string("password"));
    auth.identity_token = TRY(fields.string("identitytoken"));
    auth.registry_token = TRY(fields.string("registrytoken"));
    // "auth" (user:password in base64), "email" and "serveraddress" add nothing here.
    return auth;
}

std::string with_tag(const std::string& repository, const std::string& tag) {
    if (tag.empty())
        return repository;
    return repository + (image::is_digest(tag) ? "@" : ":") + tag;
}

ErrorOr<void> pull(Exchange& exchange, ApiContext& context) {
    const auto& request = exchange.request();
    std::string text = with_tag(request.query_value("fromImage"), request.query_value("tag"));
    auto reference = TRY(image::Reference::parse(text));
    auto auth = TRY(registry_auth(request));
    ProgressStream stream(exchange);
    // The store announces "Pulling from ..." before it reaches the registry; hold that line
    // back until more progress comes, so that an unreachable registry or an unknown image is
    // still an HTTP error status rather than a line in a started stream.
    std::optional<image::ProgressRecord> held;
    bool store_reported_status = false;
    auto progress = stream.sink();
    auto announce_then = [&](const image::ProgressRecord& record) {
        if (record.status.rfind("Status: ", 0) == 0)
            store_reported_status = true;
        if (!exchange.response_started() && !held && record.status.rfind("Pulling from", 0) == 0) {
            held = record;
            return;
        }
        if (held) {
            progress(*held);
            held.reset();
        }
        progress(record);
    };
    auto result = context.store.pull(reference.string(), auth, announce_then);
    if (result.is_error())
        return stream.finish(result.release_error());
    const auto& pulled = result.value();
    if (held)
        TRY(stream.line(progress_json(*held)));
    // docker's closing lines, unless the store already sent them as progress.
    if (!store_reported_status) {
        if (!pulled.digest.empty())
            TRY(stream.line({{"status", "Digest: " + pulled.digest}}));
        TRY(stream.line(
            {{"status", std::string(pulled.downloaded_newer ? "Status: Downloaded newer image for "
                                                            : "Status: Image is up to date for ") +
                            pulled.reference}}));
    }
    publish(context, "pull", pulled.reference, reference.familiar_name());
    return stream.finish({});
}

ErrorOr<void> import(Exchange& exchange, ApiContext& context) {
    const auto& request = exchange.request();
    if (request.query_value("fromSrc") != "-")
        return Error::invalid(
            "importing from a URL is not supported by this engine; send the "
            "archive in the request body (fromSrc=-)");
    image::ImportOptions options;
    std::string repository = request.query_value("repo");
    if (!repository.empty()) {
        auto reference =
            TRY(image::Reference::parse(with_tag(repository, request.query_value("tag"))));
        options.reference = reference.familiar();
    }
    options.changes = request.query_values("changes");
    options.message = request.query_value("message");
    image::Image imported;
    TRY(consume_body_through_pipe(exchange, [&](int fd) -> ErrorOr<void> {
        imported = TRY(context.store.import_rootfs(fd, options));
        return {};
    }));
    publish(context, "import", imported.id, options.reference.value_or(""));
    return exchange.respond(200, "application/json", dump({{"status", imported.id}}) + "\n");
}

ErrorOr<void> create(Exchange& exchange, ApiContext& context) {
    const auto& request = exchange.request();
    if (request.has_query("fromSrc"))
        return import(exchange, context);
    if (request.query_value("fromImage").empty())
        return Error::invalid("fromImage or fromSrc is required");
    return pull(exchange, context);
}

ErrorOr<void> load(Exchange& exchange, ApiContext& context) {
    bool quiet = parse_bool(exchange.request().query_value("quiet"));
    ProgressStream stream(exchange);
    std::vector<image::LoadedImage> loaded;
    image::ProgressSink sink;
    if (!quiet)
        sink = stream.sink();
    auto result = consume_body_through_pipe(exchange, [&](int fd) -> ErrorOr<void> {
        loaded = TRY(context.store.load(fd, sink));
        return {};
    });
    if (result.is_error())
        return stream.finish(std::move(result));
    for (const auto& message : image::load_messages(loaded))
        TRY(stream.line({{"stream", message + "\n"}}));
    for (const auto& image : loaded) {
        if (image.references.empty())
            publish(context, "load", image.id, "");
        for (const auto& reference : image.references)
            publish(context, "load", image.id, reference);
    }
    return stream.finish({});
}

// docker's reference match: the pattern against the familiar name (repository) or the whole
// familiar reference ("busybox:1", "busybox@sha256:...").
bool reference_matches(const std::string& reference, const std::string& pattern) {
    size_t end = reference.find('@');
    if (end == std::string::npos) {
        size_t colon = reference.rfind(':');
        size_t slash = reference.rfind('/');
        if (colon != std::string::npos && (slash == std::string::npos || colon > slash))
            end = colon;
    }
    std::string repository = reference.substr(0, end);
    return ::fnmatch(pattern.c_str(), repository.c_str(), FNM_PATHNAME) == 0 ||
           ::fnmatch(pattern.c_str(), reference.c_str(), FNM_PATHNAME) == 0;
}

bool matches_any(const std::string& reference, const std::vector<std::string>& patterns) {
    return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& pattern) {
        return reference_matches(reference, pattern);
    });
}

bool matches_reference(const image::Image& image, const std::string& pattern) {
    return std::any_of(image.repo_tags.begin(), image.repo_tags.end(),
                       [&](const std::string& tag) { return reference_matches(tag, pattern); });
}

// As dockerd's `reference` filter: an image is listed when one of its references matches one
// of the patterns, and it shows only the references that match.
bool narrow_to_references(image::Image& image, const std::vector<std::string>& patterns) {
    std::erase_if(image.repo_tags,
                  [&](const std::string& tag) { return !matches_any(tag, patterns); });
    std::erase_if(image.repo_digests,
                  [&](const std::string& digest) { return !matches_any(digest, patterns); });
    return !image.repo_tags.empty() || !image.repo_digests.empty();
}

bool matches_label(const image::Image& image, const std::string& filter) {
    size_t equals = filter.find('=');
    auto it = image.config.labels.find(filter.substr(0, equals));
    if (it == image.config.labels.end())
        return false;
    return equals == std::string::npos || it->second == filter.substr(equals + 1);
}

ErrorOr<void> list(Exchange& exchange, ApiContext& context) {
    auto filters = TRY(parse_filters(exchange.request().query_value("filters")));
    TRY(check_filter_keys(filters, {"reference", "dangling", "label"}));
    json body = json::array();
    const auto& references = filters["reference"];
    for (auto image : context.store.list()) {
        bool keep = references.empty() || narrow_to_references(image, references);
        for (const auto& label : filters["label"])
            keep = keep && matches_label(image, label);
        for (const auto& dangling : filters["dangling"])
            keep = keep && (parse_bool(dangling) == image.repo_tags.empty());
        if (keep)
            body.push_back(image_summary_json(image));
    }
    return respond_json(exchange, 200, body);
}

ErrorOr<void> inspect(Exchange& exchange, ApiContext& context) {
    auto image = TRY(context.store.resolve(name_param(exchange)));
    return respond_json(exchange, 200, image_inspect_json(image));
}

ErrorOr<void> history(Exchange& exchange, ApiContext& context) {
    auto image = TRY(context.store.resolve(name_param(exchange)));
    return respond_json(exchange, 200, image_history_json(image));
}

ErrorOr<void> tag(Exchange& exchange, ApiContext& context) {
    const auto& request = exchange.request();
    std::string repository = request.query_value("repo");
    if (repository.empty())
        return Error::invalid("repository name (repo) is required");
    auto target = TRY(image::Reference::parse(with_tag(repository, request.query_value("tag"))));
    if (!target.digest.empty())
        return Error::invalid("refusing to create a tag with a digest reference");
    auto image = TRY(context.store.resolve(name_param(exchange)));
    TRY(context.store.tag(image.id, target.familiar()));
    publish(context, "tag", image.id, target.familiar());
    return exchange.respond(201, "", "");
}

ErrorOr<void> remove(Exchange& exchange, ApiContext& context) {
    bool force = parse_bool(exchange.request().query_value("force"));
    auto image = TRY(context.store.resolve(name_param(exchange)));
    auto records = TRY(context.store.remove_image(
        name_param(exchange), force,
        [&context](const std::string& id) { return context.engine.image_user(id); }));
    json body = json::array();
    for (const auto& record : records) {
        bool untagged = record.kind == image::RemoveRecord::Kind::untagged;
        body.push_back({{untagged ? "Untagged" : "Deleted", record.value}});
        // As dockerd: both events name the image by its id (the tag is only in the response).
        publish(context, untagged ? "untag" : "delete", image.id, image.id);
    }
    return respond_json(exchange, 200, body);
}

ErrorOr<void> save_names(Exchange& exchange, ApiContext& context,
                         const std::vector<std::string>& names) {
    if (names.empty())
        return Error::invalid("no image names given");
    // Every name must resolve before the archive starts: afterwards only a cut connection
    // can report a failure.
    for (const auto& name : names) {
        auto reference = image::Reference::parse_name_only(name);
        if (context.store.resolve(name).is_error() && reference.is_error())
            return Error::not_found("No such image: " + name);
        if (context.store.resolve(name).is_error()) {
            bool any = false;
            for (const auto& image : context.store.list())
                any = any || matches_reference(image, reference->familiar_name());
            if (!any)
                return Error::not_found("No such image: " + name);
        }
    }
    int fd = TRY(exchange.begin_unframed(200, "application/x-tar"));
    return context.store.save(names, fd);
}

ErrorOr<void> save_many(Exchange& exchange, ApiContext& context) {
    return save_names(exchange, context, exchange.request().query_values("names"));
}

ErrorOr<void> save_one(Exchange& exchange, ApiContext& context) {
    return save_names(exchange, context, {name_param(exchange)});
}

}  // namespace

void add_image_routes(Router& router, ApiContext& context) {
    auto bind = [&context](ErrorOr<void> (*handler)(Exchange&, ApiContext&)) {
        return [&context, handler](Exchange& exchange) { return handler(exchange, context); };
    };
    RouteOptions archive{max_image_archive, true};
    router.add("GET", "/images/json", bind(list));
    router.add("POST", "/images/create", bind(create), archive);
    router.add("POST", "/images/load", bind(load), archive);
    router.add("GET", "/images/get", bind(save_many));
    router.add("GET", "/images/{name*}/get", bind(save_one));
    router.add("GET", "/images/{name*}/json", bind(inspect));
    router.add("GET", "/images/{name*}/history", bind(history));
    router.add("POST", "/images/{name*}/tag", bind(tag));
    router.add("DELETE", "/images/{name*}", bind(remove));
}

}  // namespace corral::api
