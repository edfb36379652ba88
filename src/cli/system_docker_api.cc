#include "cli/system_docker_api.h"

#include <cstdio>

namespace corral::cli {

namespace {

// "1.41" → {1, 41}; anything unreadable sorts first.
std::pair<int, int> version_parts(std::string_view version) {
    int major = 0;
    int minor = 0;
    if (std::sscanf(std::string(version).c_str(), "%d.%d", &major, &minor) != 2)
        return {0, 0};
    return {major, minor};
}

ErrorKind kind_of_status(int status) {
    switch (status) {
        case 304:
            return ErrorKind::not_modified;
        case 400:
            return ErrorKind::invalid_argument;
        case 403:
            return ErrorKind::permission_denied;
        case 404:
            return ErrorKind::not_found;
        case 409:
            return ErrorKind::conflict;
        case 413:
            return ErrorKind::too_large;
        case 501:
            return ErrorKind::unsupported;
        default:
            return ErrorKind::internal;
    }
}

}  // namespace

std::string negotiate_version(std::string_view server_version) {
    if (server_version.empty() || version_parts(server_version) == std::pair{0, 0})
        return std::string(client_api_version);
    if (version_parts(server_version) < version_parts(client_api_version))
        return std::string(server_version);
    return std::string(client_api_version);
}

std::string url_encode(std::string_view text) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (char c : text) {
        auto byte = static_cast<unsigned char>(c);
        if (std::isalnum(byte) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += c;
        } else {
            out += '%';
            out += hex[byte >> 4];
            out += hex[byte & 15];
        }
    }
    return out;
}

Error DockerApi::daemon_error(int status, std::string_view body) {
    std::string message;
    try {
        auto parsed = Json::parse(body);
        if (parsed.is_object() && parsed.contains("message") && parsed["message"].is_string())
            message = parsed["message"].get<std::string>();
    } catch (const std::exception&) {
    }
    if (message.empty()) {
        message = std::string(body);
        while (!message.empty() && (message.back() == '\n' || message.back() == '\r'))
            message.pop_back();
    }
    if (message.empty())
        message = "status " + std::to_string(status);
    return Error(kind_of_status(status), "Error response from daemon: " + message);
}

ErrorOr<http::Connection> DockerApi::connect_once() const {
    auto connection = http::Connection::open(endpoint_);
    if (connection.is_error()) {
        return Error(ErrorKind::unavailable, "Cannot connect to the Docker daemon at " +
                                                 endpoint_.text +
                                                 ". Is the docker daemon running?");
    }
    return connection;
}

ErrorOr<DockerApi> DockerApi::connect(const std::string& host) {
    auto endpoint = TRY(http::parse_endpoint(host));
    DockerApi api(endpoint, std::string(client_api_version));
    auto connection = TRY(api.connect_once());
    http::Request ping;
    ping.target = "/_ping";
    TRY(connection.send(ping));
    const auto* head = TRY(connection.read_head());
    auto version = head->headers.get("Api-Version");
    api.api_version_ = negotiate_version(version ? *version : "");
    if (connection.read_body(4096))
        api.keep_idle(std::move(connection));
    return api;
}

void DockerApi::keep_idle(http::Connection connection) {
    if (!connection.reusable())
        return;
    connection.prepare_next();
    std::lock_guard lock(*idle_mutex_);
    if (!idle_)
        idle_.emplace(std::move(connection));
}

std::optional<http::Connection> DockerApi::take_idle() {
    std::lock_guard lock(*idle_mutex_);
    std::optional<http::Connection> taken;
    if (idle_ && idle_->still_open())
        taken.emplace(std::move(*idle_));
    idle_.reset();
    return taken;
}

http::Request DockerApi::request(std::string_view method, std::string_view path,
                                 const std::optional<Json>& body) const {
    http::Request request;
    request.method = std::string(method);
    request.target = "/v" + api_version_ + std::string(path);
    if (body) {
        request.body = body->dump();
        request.headers.push_back({"Content-Type", "application/json"});
    }
    return request;
}

ErrorOr<void> DockerApi::check_status(http::Connection& connection) {
    const auto* head = TRY(connection.read_head());
    if (head->status < 400)
        return {};
    int status = head->status;
    auto body = connection.read_body(1 << 20);
    return daemon_error(status, body.is_error() ? std::string() : *body);
}

ErrorOr<http::Connection> DockerApi::send_only(http::Request request) {
    auto connection = TRY(connect_once());
    TRY(connection.send(request));
    return connection;
}

ErrorOr<http::Connection> DockerApi::open_stream(http::Request request) {
    auto connection = TRY(send_only(std::move(request)));
    TRY(check_status(connection));
    return connection;
}

ErrorOr<ApiResponse> DockerApi::call(std::string_view method, std::string_view path,
                                     const std::optional<Json>& body) {
    auto call_request = request(method, path, body);
    std::optional<http::Connection> connection = take_idle();
    const http::ResponseHead* head = nullptr;
    if (connection) {
        // The server may have closed a kept connection before reading this request: nothing
        // of the response came back, so the request goes again on a new connection.
        auto sent = connection->send(call_request);
        auto answered = sent ? connection->read_head()
                             : ErrorOr<const http::ResponseHead*>(sent.release_error());
        if (answered)
            head = *answered;
        else
            connection.reset();
    }
    if (!connection) {
        connection.emplace(TRY(send_only(std::move(call_request))));
        head = TRY(connection->read_head());
    }
    ApiResponse response;
    response.status = head->status;
    response.body = TRY(connection->read_body());
    keep_idle(std::move(*connection));
    if (response.status >= 400)
        return daemon_error(response.status, response.body);
    return response;
}

ErrorOr<Json> DockerApi::call_json(std::string_view method, std::string_view path,
                                   const std::optional<Json>& body) {
    auto response = TRY(call(method, path, body));
    try {
        return Json::parse(response.body);
    } catch (const std::exception& error) {
        return Error::invalid(std::string("daemon sent malformed JSON for ") + std::string(path) +
                              ": " + error.what());
    }
}

ErrorOr<http::Connection> DockerApi::send_hijack(std::string_view method, std::string_view path,
                                                 const std::optional<Json>& body) {
    auto hijack_request = request(method, path, body);
    hijack_request.upgrade = true;
    if (!body)
        hijack_request.headers.push_back({"Content-Type", "text/plain"});
    return send_only(std::move(hijack_request));
}

ErrorOr<http::Connection> DockerApi::hijack(std::string_view method, std::string_view path,
                                            const std::optional<Json>& body) {
    auto connection = TRY(send_hijack(method, path, body));
    TRY(check_status(connection));
    return connection;
}

std::pair<std::string, std::string> split_reference(const std::string& reference) {
    if (reference.find('@') != std::string::npos)
        return {reference, ""};
    size_t slash = reference.rfind('/');
    size_t colon = reference.rfind(':');
    if (colon != std::string::npos && (slash == std::string::npos || colon > slash))
        return {reference.substr(0, colon), reference.substr(colon + 1)};
    return {reference, "latest"};
}

}  // namespace corral::cli
