#include "cli/ros_services.h"

#include <algorithm>
#include <cstdio>

#include "cli/system_docker_stream.h"
#include "compose/container.h"
#include "config/tree.h"

namespace corral::cli::ros {

namespace {

std::string container_path(const std::string& name, const std::string& rest = "") {
    return "/containers/" + url_encode(name) + rest;
}

std::string timeout_query(std::optional<int> timeout) {
    return timeout ? "?t=" + std::to_string(*timeout) : "";
}

}  // namespace

ErrorOr<std::unique_ptr<ApiEngine>> ApiEngine::connect(const std::string& what,
                                                       const std::string& host,
                                                       const std::string& key) {
    auto api = DockerApi::connect(host);
    if (!api)
        return Error(ErrorKind::unavailable, "cannot reach the " + what + " at " + host + " (" +
                                                 key + "): " + api.error().message());
    return std::unique_ptr<ApiEngine>(new ApiEngine(what, api.release_value()));
}

ErrorOr<Json> ApiEngine::inspect_json(const std::string& name) {
    return api_.call_json("GET", container_path(name, "/json"));
}

// Whether the image name the container was created from (Config.Image) now names another
// image than the one it runs (Image, an ID), as `docker compose up` checks. A name that no
// longer resolves keeps the container: it can still start, and a new create would fail.
ErrorOr<bool> ApiEngine::image_changed(const Json& container) {
    if (!container.contains("Image") || !container["Image"].is_string() ||
        !container.contains("Config") || !container["Config"].is_object() ||
        !container["Config"].contains("Image") || !container["Config"]["Image"].is_string())
        return false;
    std::string running = container["Image"].get<std::string>();
    std::string name = container["Config"]["Image"].get<std::string>();
    if (running.empty() || name.empty() || name == running)
        return false;
    auto image = api_.call_json("GET", "/images/" + url_encode(name) + "/json");
    if (!image) {
        if (image.error().kind() == ErrorKind::not_found)
            return false;
        return image.release_error();
    }
    if (!image->is_object() || !image->contains("Id") || !(*image)["Id"].is_string())
        return false;
    return (*image)["Id"].get<std::string>() != running;
}

ErrorOr<std::optional<compose::ContainerStatus>> ApiEngine::inspect(const std::string& name) {
    auto found = inspect_json(name);
    if (!found) {
        if (found.error().kind() == ErrorKind::not_found)
            return std::optional<compose::ContainerStatus>();
        return found.release_error();
    }
    const Json& container = *found;
    compose::ContainerStatus status;
    status.id = container.value("Id", "");
    if (container.contains("State") && container["State"].is_object()) {
        status.state = container["State"].value("Status", "");
        status.exit_code = container["State"].value("ExitCode", 0);
    }
    if (container.contains("Config") && container["Config"].is_object()) {
        const Json& labels = container["Config"]["Labels"];
        if (labels.is_object() && labels.contains(compose::hash_label) &&
            labels[std::string(compose::hash_label)].is_string())
            status.hash = labels[std::string(compose::hash_label)].get<std::string>();
    }
    status.image_changed = TRY(image_changed(container));
    return std::optional(status);
}

ErrorOr<void> ApiEngine::create(const engine::CreateRequest& request) {
    TRY(api_.call("POST", "/containers/create?name=" + url_encode(request.name),
                  compose::create_body(request)));
    return {};
}

ErrorOr<void> ApiEngine::start(const std::string& name) {
    TRY(api_.call("POST", container_path(name, "/start")));
    return {};
}

ErrorOr<void> ApiEngine::remove(const std::string& name, bool force) {
    TRY(api_.call("DELETE", container_path(name, force ? "?force=1" : "")));
    return {};
}

ErrorOr<int> ApiEngine::wait(const std::string& name) {
    Json answer = TRY(api_.call_json("POST", container_path(name, "/wait")));
    if (!answer.is_object() || !answer.contains("StatusCode") ||
        !answer["StatusCode"].is_number_integer())
        return Error::internal("wait " + name + ": the " + what_ + " answered without a status");
    return answer["StatusCode"].get<int>();
}

ErrorOr<void> ApiEngine::pull(const std::string& image) {
    auto [repository, tag] = split_reference(image);
    std::string query = "/images/create?fromImage=" + url_encode(repository);
    if (!tag.empty())
        query += "&tag=" + url_encode(tag);
    auto connection = TRY(api_.open_stream(api_.request("POST", query)));
    // Progress messages; the pull failed when one carries an error.
    JsonSequenceSplitter splitter;
    for (;;) {
        auto piece = TRY(connection.read_body_some());
        if (!piece)
            break;
        for (const auto& text : TRY(splitter.feed(*piece))) {
            Json message = Json::parse(text, nullptr, false);
            if (message.is_object() && message.contains("error") && message["error"].is_string())
                return Error::internal("pull " + image + ": " +
                                       message["error"].get<std::string>());
        }
    }
    return {};
}

ErrorOr<void> ApiEngine::stop(const std::string& name, std::optional<int> timeout) {
    TRY(api_.call("POST", container_path(name, "/stop" + timeout_query(timeout))));
    return {};
}

ErrorOr<void> ApiEngine::restart(const std::string& name, std::optional<int> timeout) {
    TRY(api_.call("POST", container_path(name, "/restart" + timeout_query(timeout))));
    return {};
}

ErrorOr<void> ApiEngine::kill(const std::string& name, const std::string& signal) {
    TRY(api_.call("POST", container_path(name, "/kill?signal=" + url_encode(signal))));
    return {};
}

ErrorOr<bool> ApiEngine::has_image(const std::string& image) {
    auto found = api_.call("GET", "/images/" + url_encode(image) + "/json");
    if (found)
        return true;
    if (found.error().kind() == ErrorKind::not_found)
        return false;
    return found.release_error();
}

std::string engine_host(const config::Value& merged, compose::Scope scope) {
    bool system = scope == compose::Scope::system;
    const char* key = system ? "rancher.system_docker.host" : "rancher.docker.host";
    std::vector<std::string> hosts;
    if (const config::Value* value = config::lookup(merged, key)) {
        if (value->is_scalar() && !value->text().empty())
            hosts.push_back(value->text());
        if (value->is_sequence()) {
            for (const auto& item : value->items()) {
                if (item.is_scalar() && !item.text().empty())
                    hosts.push_back(item.text());
            }
        }
    }
    for (const auto& host : hosts) {
        if (host.starts_with("unix://"))
            return host;
        if (host.starts_with("/"))
            return "unix://" + host;
    }
    if (!hosts.empty())
        return hosts.front();
    return system ? "unix:///var/run/system-docker.sock" : "unix:///var/run/docker.sock";
}

ErrorOr<Session> Session::open(const Context& context) {
    Session session;
    session.config_ = config::load_config(context.paths());
    session.catalog_ = compose::Catalog::load(session.config_.merged, context.paths());
    for (const auto& error : session.catalog_.errors())
        std::fprintf(stderr, "ros: warning: %s\n", error.c_str());
    compose::Plan plan = TRY(compose::plan_services(session.config_.merged, session.catalog_));
    for (const auto& warning : plan.warnings)
        std::fprintf(stderr, "ros: warning: %s\n", warning.c_str());
    session.services_ = std::move(plan.services);
    return session;
}

ErrorOr<std::vector<const compose::Service*>> Session::select(
    const std::vector<std::string>& names) const {
    std::vector<const compose::Service*> out;
    for (const auto& name : names) {
        bool known = std::any_of(services_.begin(), services_.end(),
                                 [&](const compose::Service& s) { return s.name == name; });
        if (known)
            continue;
        auto listed = catalog_.services();
        if (std::find(listed.begin(), listed.end(), name) != listed.end())
            return Error::not_found("service " + name + " is not enabled (ros service enable " +
                                    name + ")");
        return Error::not_found("unknown service `" + name +
                                "`: not in rancher.services nor in an enabled "
                                "rancher.services_include file (see ros service list -a)");
    }
    for (const auto& service : services_) {
        if (names.empty() || std::find(names.begin(), names.end(), service.name) != names.end())
            out.push_back(&service);
    }
    return out;
}

ErrorOr<ApiEngine*> Session::engine(compose::Scope scope) {
    bool system = scope == compose::Scope::system;
    std::unique_ptr<ApiEngine>& slot = system ? system_ : user_;
    if (!slot) {
        slot = TRY(ApiEngine::connect(
            system ? "system engine" : "user engine", engine_host(config_.merged, scope),
            system ? "rancher.system_docker.host" : "rancher.docker.host"));
    }
    return slot.get();
}

}  // namespace corral::cli::ros
