#include "image/registry.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/curl_library.h"
#include "base/fs.h"
#include "base/sys.h"
#include "image/digest.h"
#include "image/formats.h"
#include "image/reference.h"

namespace corral::image {

namespace {

using Json = nlohmann::json;

constexpr size_t max_error_body = 64 << 10;
constexpr size_t max_token_response = 1 << 20;

std::string lowercase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), ::tolower);
    return text;
}

std::string base64(std::string_view data) {
    static const char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    size_t i = 0;
    for (; i + 2 < data.size(); i += 3) {
        uint32_t v = (uint8_t(data[i]) << 16) | (uint8_t(data[i + 1]) << 8) | uint8_t(data[i + 2]);
        out += table[v >> 18];
        out += table[(v >> 12) & 63];
        out += table[(v >> 6) & 63];
        out += table[v & 63];
    }
    if (i + 1 == data.size()) {
        uint32_t v = uint8_t(data[i]) << 16;
        out += table[v >> 18];
        out += table[(v >> 12) & 63];
        out += "==";
    } else if (i + 2 == data.size()) {
        uint32_t v = (uint8_t(data[i]) << 16) | (uint8_t(data[i + 1]) << 8);
        out += table[v >> 18];
        out += table[(v >> 12) & 63];
        out += table[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

// Docker treats these as insecure registries: plain HTTP.
bool is_loopback_host(std::string_view domain) {
    std::string host = registry_host(domain);
    if (host == "localhost" || host == "::1")
        return true;
    in_addr address{};
    if (::inet_pton(AF_INET, host.c_str(), &address) == 1)
        return (ntohl(address.s_addr) >> 24) == 127;
    return false;
}

// Registry errors: {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]}.
std::string registry_errors(std::string_view body) {
    try {
        Json json = Json::parse(body);
        std::string text;
        for (const auto& error : json.at("errors")) {
            std::string code = lowercase(error.value("code", ""));
            std::replace(code.begin(), code.end(), '_', ' ');
            if (!text.empty())
                text += "; ";
            text += code + ": " + error.value("message", "");
        }
        return text;
    } catch (const Json::exception&) {
        std::string trimmed(body.substr(0, 200));
        while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back())))
            trimmed.pop_back();
        return trimmed;
    }
}

// libcurl is opened on the first registry client (base/curl_library.h), not linked; set once
// by load_curl, before any use.
const CurlApi* curl_api = nullptr;

ErrorOr<void> load_curl() {
    curl_api = TRY(curl_library());
    return {};
}

struct Response {
    long status = 0;
    std::string reason;
    std::map<std::string, std::string> headers;  // of the last response, lowercase names
    std::string error_body;
};

// Where the body of a successful response goes.
struct Sink {
    std::string* memory = nullptr;
    size_t limit = 0;
    int fd = -1;
    Sha256* hasher = nullptr;
    int64_t received = 0;
    int64_t total = 0;
    const std::function<void(int64_t, int64_t)>* progress = nullptr;
    bool too_large = false;
    bool write_failed = false;
};

struct Transfer {
    Response response;
    Sink* sink = nullptr;
};

size_t on_header(char* data, size_t size, size_t count, void* context) {
    auto* transfer = static_cast<Transfer*>(context);
    std::string_view line(data, size * count);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
        line.remove_suffix(1);
    if (line.starts_with("HTTP/")) {
        // A new response (after a redirect or 100-continue): start over.
        transfer->response = {};
        size_t space = line.find(' ');
        if (space != std::string_view::npos) {
            transfer->response.status = std::atol(std::string(line.substr(space + 1, 3)).c_str());
            if (line.size() > space + 5)
                transfer->response.reason = std::string(line.substr(space + 5));
        }
        return size * count;
    }
    size_t colon = line.find(':');
    if (colon != std::string_view::npos && transfer->response.headers.size() < 200) {
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ')
            value.remove_prefix(1);
        transfer->response.headers[lowercase(std::string(line.substr(0, colon)))] =
            std::string(value.substr(0, 8192));
        if (lowercase(std::string(line.substr(0, colon))) == "content-length" && transfer->sink)
            transfer->sink->total = std::atoll(std::string(value).c_str());
    }
    return size * count;
}

size_t on_body(char* data, size_t size, size_t count, void* context) {
    auto* transfer = static_cast<Transfer*>(context);
    size_t length = size * count;
    long status = transfer->response.status;
    if (status < 200 || status >= 300) {
        if (transfer->response.error_body.size() + length > max_error_body)
            return length;  // keep the start of the message only
        transfer->response.error_body.append(data, length);
        return length;
    }
    Sink& sink = *transfer->sink;
    if (sink.limit &&
        sink.received + static_cast<int64_t>(length) > static_cast<int64_t>(sink.limit)) {
        sink.too_large = true;
        return 0;
    }
    if (sink.memory) {
        if (sink.memory->size() + length > sink.limit) {
            sink.too_large = true;
            return 0;
        }
        sink.memory->append(data, length);
    } else {
        size_t done = 0;
        while (done < length) {
            ssize_t n = ::write(sink.fd, data + done, length - done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                sink.write_failed = true;
                return 0;
            }
            done += static_cast<size_t>(n);
        }
    }
    if (sink.hasher)
        sink.hasher->update(data, length);
    sink.received += static_cast<int64_t>(length);
    if (sink.progress && *sink.progress)
        (*sink.progress)(sink.received, sink.total);
    return length;
}

struct CurlDeleter {
    void operator()(CURL* handle) const { curl_api->easy_cleanup(handle); }
};
struct SlistDeleter {
    void operator()(curl_slist* list) const { curl_api->slist_free_all(list); }
};

}  // namespace

std::map<std::string, std::string> parse_www_authenticate(std::string_view header) {
    std::map<std::string, std::string> result;
    size_t space = header.find(' ');
    result[""] = lowercase(std::string(header.substr(0, space)));
    if (space == std::string_view::npos)
        return result;
    std::string_view rest = header.substr(space + 1);
    while (!rest.empty()) {
        while (!rest.empty() && (rest.front() == ' ' || rest.front() == ','))
            rest.remove_prefix(1);
        size_t equals = rest.find('=');
        if (equals == std::string_view::npos)
            break;
        std::string key = lowercase(std::string(rest.substr(0, equals)));
        rest.remove_prefix(equals + 1);
        std::string value;
        if (!rest.empty() && rest.front() == '"') {
            rest.remove_prefix(1);
            while (!rest.empty() && rest.front() != '"') {
                if (rest.front() == '\\' && rest.size() > 1)
                    rest.remove_prefix(1);
                value += rest.front();
                rest.remove_prefix(1);
            }
            if (!rest.empty())
                rest.remove_prefix(1);
        } else {
            size_t end = rest.find(',');
            value = std::string(rest.substr(0, end));
            rest = end == std::string_view::npos ? "" : rest.substr(end);
        }
        result[key] = value;
    }
    return result;
}

struct RegistryClient::Impl {
    std::string domain;
    std::string base_url;
    // An insecure registry (RegistryOptions::insecure_registries) is first tried over HTTPS
    // without verifying its certificate; when that fails below HTTP (the registry speaks
    // plain HTTP), over `fallback_url`. Cleared once the scheme is chosen.
    std::string fallback_url;
    bool skip_verify = false;
    RegistryAuth auth;
    RegistryOptions options;
    std::string ca_file;
    std::string client_cert;
    std::string client_key;
    std::string authorization;  // "Bearer ..." or "Basic ..." once known

    ErrorOr<Response> perform(const std::string& method_url, const std::string& url,
                              const std::vector<std::string>& headers, Sink& sink,
                              bool send_authorization, const std::string& post_body = {});
    ErrorOr<Response> request(const std::string& url, const std::vector<std::string>& headers,
                              Sink& sink, const std::string& repository);
    // Chooses HTTPS or HTTP for an insecure registry (GET /v2/, as docker pings it); a no-op
    // otherwise. Returns the URL of `path` on the chosen base.
    std::string url_of(const std::string& path);
    ErrorOr<void> authenticate(const std::map<std::string, std::string>& challenge,
                               const std::string& repository);
    Error http_error(const std::string& url, const Response& response) const;
};

ErrorOr<Response> RegistryClient::Impl::perform(const std::string& method, const std::string& url,
                                                const std::vector<std::string>& headers, Sink& sink,
                                                bool send_authorization,
                                                const std::string& post_body) {
    std::unique_ptr<CURL, CurlDeleter> curl(curl_api->easy_init());
    if (!curl)
        return Error::internal("curl_easy_init failed");
    std::unique_ptr<curl_slist, SlistDeleter> list;
    auto add_header = [&](const std::string& header) {
        list.reset(curl_api->slist_append(list.release(), header.c_str()));
    };
    for (const auto& header : headers)
        add_header(header);
    if (send_authorization && !authorization.empty())
        add_header("Authorization: " + authorization);
    Transfer transfer;
    transfer.sink = &sink;
    char error_buffer[CURL_ERROR_SIZE] = {};
    CURL* handle = curl.get();
    curl_api->easy_setopt(handle, CURLOPT_URL, url.c_str());
    curl_api->easy_setopt(handle, CURLOPT_HTTPHEADER, list.get());
    curl_api->easy_setopt(handle, CURLOPT_HEADERFUNCTION, on_header);
    curl_api->easy_setopt(handle, CURLOPT_HEADERDATA, &transfer);
    curl_api->easy_setopt(handle, CURLOPT_WRITEFUNCTION, on_body);
    curl_api->easy_setopt(handle, CURLOPT_WRITEDATA, &transfer);
    curl_api->easy_setopt(handle, CURLOPT_ERRORBUFFER, error_buffer);
    curl_api->easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    curl_api->easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 1L);
    curl_api->easy_setopt(handle, CURLOPT_MAXREDIRS, 5L);
    curl_api->easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_api->easy_setopt(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_api->easy_setopt(handle, CURLOPT_CONNECTTIMEOUT, options.connect_timeout_seconds);
    curl_api->easy_setopt(handle, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_api->easy_setopt(handle, CURLOPT_LOW_SPEED_TIME, options.stall_timeout_seconds);
    curl_api->easy_setopt(handle, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1");
    curl_api->easy_setopt(handle, CURLOPT_USERAGENT, "corral/" CORRAL_VERSION);
    if (!ca_file.empty())
        curl_api->easy_setopt(handle, CURLOPT_CAINFO, ca_file.c_str());
    if (skip_verify && url.starts_with(base_url + "/")) {
        curl_api->easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_api->easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (!client_cert.empty()) {
        curl_api->easy_setopt(handle, CURLOPT_SSLCERT, client_cert.c_str());
        curl_api->easy_setopt(handle, CURLOPT_SSLKEY, client_key.c_str());
    }
    if (method == "POST") {
        curl_api->easy_setopt(handle, CURLOPT_POSTFIELDS, post_body.c_str());
        curl_api->easy_setopt(handle, CURLOPT_POSTFIELDSIZE, static_cast<long>(post_body.size()));
    }
    CURLcode code = curl_api->easy_perform(handle);
    if (sink.too_large)
        return Error(ErrorKind::too_large, method + " " + url + ": response larger than " +
                                               std::to_string(sink.limit) + " bytes");
    if (sink.write_failed)
        return Error::from_errno("write", url, errno);
    if (code != CURLE_OK)
        return Error(ErrorKind::unavailable,
                     method + " " + url + ": " +
                         (error_buffer[0] ? error_buffer : curl_api->easy_strerror(code)));
    return std::move(transfer.response);
}

Error RegistryClient::Impl::http_error(const std::string& url, const Response& response) const {
    std::string message = "GET " + url + ": " + std::to_string(response.status);
    if (!response.reason.empty())
        message += " " + response.reason;
    std::string detail = registry_errors(response.error_body);
    if (!detail.empty())
        message += ": " + detail;
    ErrorKind kind = ErrorKind::unavailable;
    if (response.status == 404)
        kind = ErrorKind::not_found;
    else if (response.status == 401 || response.status == 403)
        kind = ErrorKind::permission_denied;
    else if (response.status >= 400 && response.status < 500)
        kind = ErrorKind::invalid_argument;
    return Error(kind, message);
}

ErrorOr<void> RegistryClient::Impl::authenticate(
    const std::map<std::string, std::string>& challenge, const std::string& repository) {
    const std::string& scheme = challenge.at("");
    bool have_credentials = !auth.username.empty() || !auth.password.empty();
    std::string basic = "Basic " + base64(auth.username + ":" + auth.password);
    if (scheme == "basic") {
        if (!have_credentials)
            return Error(ErrorKind::permission_denied,
                         base_url + ": the registry wants a user name and password");
        authorization = basic;
        return {};
    }
    if (scheme != "bearer")
        return Error(ErrorKind::unsupported,
                     base_url + ": unsupported authentication scheme `" + scheme + "`");
    auto realm = challenge.find("realm");
    if (realm == challenge.end() || realm->second.empty())
        return Error::invalid(base_url + ": bearer challenge without a realm");
    if (!realm->second.starts_with("http://") && !realm->second.starts_with("https://"))
        return Error::invalid(base_url + ": token realm `" + realm->second +
                              "` is not an http(s) URL");
    std::unique_ptr<CURL, CurlDeleter> escaper(curl_api->easy_init());
    auto escape = [&](const std::string& text) {
        char* escaped =
            curl_api->easy_escape(escaper.get(), text.c_str(), static_cast<int>(text.size()));
        std::string result = escaped ? escaped : "";
        curl_api->free(escaped);
        return result;
    };
    std::string service = challenge.contains("service") ? challenge.at("service") : "";
    std::string scope =
        challenge.contains("scope") ? challenge.at("scope") : "repository:" + repository + ":pull";
    std::string body;
    Sink sink;
    sink.memory = &body;
    sink.limit = max_token_response;
    std::string url = realm->second;
    ErrorOr<Response> response = Error::internal("no token request");
    if (!auth.identity_token.empty()) {
        // OAuth2 refresh-token grant, as docker does with an identity token.
        std::string form = "grant_type=refresh_token&client_id=corral&service=" + escape(service) +
                           "&scope=" + escape(scope) +
                           "&refresh_token=" + escape(auth.identity_token);
        response = perform("POST", url, {"Content-Type: application/x-www-form-urlencoded"}, sink,
                           false, form);
    } else {
        url += (url.find('?') == std::string::npos ? "?" : "&");
        url += "service=" + escape(service) + "&scope=" + escape(scope);
        if (!auth.username.empty())
            url += "&account=" + escape(auth.username);
        std::vector<std::string> headers;
        if (have_credentials)
            headers.push_back("Authorization: " + basic);
        response = perform("GET", url, headers, sink, false);
    }
    if (!response)
        return std::move(response).error().with_context("token");
    if (response->status != 200)
        return http_error(url, *response).with_context("token");
    try {
        Json json = Json::parse(body);
        std::string token = json.value("token", "");
        if (token.empty())
            token = json.value("access_token", "");
        if (token.empty())
            return Error::invalid("GET " + url + ": the token response has no token");
        authorization = "Bearer " + token;
        return {};
    } catch (const Json::exception& error) {
        return Error::invalid("GET " + url + ": token response: " + error.what());
    }
}

ErrorOr<Response> RegistryClient::Impl::request(const std::string& url,
                                                const std::vector<std::string>& headers, Sink& sink,
                                                const std::string& repository) {
    for (int attempt = 0;; ++attempt) {
        Response response = TRY(perform("GET", url, headers, sink, true));
        if (response.status != 401 || attempt > 0)
            return response;
        auto challenge = response.headers.find("www-authenticate");
        if (challenge == response.headers.end())
            return http_error(url, response);
        TRY(authenticate(parse_www_authenticate(challenge->second), repository));
    }
}

std::string RegistryClient::Impl::url_of(const std::string& path) {
    if (!fallback_url.empty()) {
        std::string body;
        Sink sink;
        sink.memory = &body;
        sink.limit = max_error_body;
        // Any HTTP answer (200, 401...) means HTTPS works; a failure below HTTP (a TLS
        // handshake with a plain HTTP server, a refused connection) means plain HTTP.
        auto answer = perform("GET", base_url + "/v2/", {}, sink, false);
        if (!answer && answer.error().kind() == ErrorKind::unavailable) {
            base_url = fallback_url;
            skip_verify = false;
        }
        fallback_url.clear();
    }
    return base_url + path;
}

RegistryClient::RegistryClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RegistryClient::~RegistryClient() = default;

const std::string& RegistryClient::base_url() const {
    return impl_->base_url;
}

ErrorOr<std::unique_ptr<RegistryClient>> RegistryClient::create(const std::string& domain,
                                                                const RegistryAuth& auth,
                                                                const RegistryOptions& options) {
    TRY(load_curl());
    auto impl = std::make_unique<Impl>();
    impl->domain = domain;
    impl->auth = auth;
    impl->options = options;
    std::string host = domain == "docker.io" ? "registry-1.docker.io" : domain;
    std::string certs = options.certs_dir.empty() ? "" : fs::join(options.certs_dir, domain);
    if (!certs.empty()) {
        if (TRY(fs::exists(fs::join(certs, "ca.crt"))))
            impl->ca_file = fs::join(certs, "ca.crt");
        if (TRY(fs::exists(fs::join(certs, "client.cert"))) &&
            TRY(fs::exists(fs::join(certs, "client.key")))) {
            impl->client_cert = fs::join(certs, "client.cert");
            impl->client_key = fs::join(certs, "client.key");
        }
    }
    if (is_insecure_registry(domain, options.insecure_registries)) {
        // As dockerd's --insecure-registry: HTTPS whatever the certificate, else HTTP.
        impl->base_url = "https://" + host;
        impl->fallback_url = "http://" + host;
        impl->skip_verify = true;
    } else {
        bool plain = is_loopback_host(domain) && impl->ca_file.empty();
        impl->base_url = (plain ? "http://" : "https://") + host;
    }
    if (!auth.registry_token.empty())
        impl->authorization = "Bearer " + auth.registry_token;
    return std::unique_ptr<RegistryClient>(new RegistryClient(std::move(impl)));
}

ErrorOr<FetchedManifest> RegistryClient::get_manifest(const std::string& repository,
                                                      const std::string& reference) {
    std::string url = impl_->url_of("/v2/" + repository + "/manifests/" + reference);
    std::string accept = "Accept: " + std::string(media_type::docker_manifest) + ", " +
                         std::string(media_type::docker_manifest_list) + ", " +
                         std::string(media_type::oci_manifest) + ", " +
                         std::string(media_type::oci_index);
    FetchedManifest manifest;
    Sink sink;
    sink.memory = &manifest.body;
    sink.limit = max_manifest_size;
    Response response = TRY(impl_->request(url, {accept}, sink, repository));
    if (response.status != 200)
        return impl_->http_error(url, response);
    manifest.content_type = response.headers["content-type"];
    manifest.content_type = manifest.content_type.substr(0, manifest.content_type.find(';'));
    manifest.digest = sha256_digest(manifest.body);
    if (is_digest(reference) && manifest.digest != reference)
        return Error::invalid("GET " + url + ": manifest content does not match its digest (got " +
                              manifest.digest + ")");
    auto header = response.headers.find("docker-content-digest");
    if (header != response.headers.end() && is_digest(header->second) &&
        header->second != manifest.digest)
        return Error::invalid("GET " + url + ": manifest content does not match " +
                              "Docker-Content-Digest " + header->second);
    return manifest;
}

ErrorOr<std::string> RegistryClient::get_blob(const std::string& repository,
                                              const std::string& digest, size_t limit) {
    TRY(digest_hex(digest));
    std::string url = impl_->url_of("/v2/" + repository + "/blobs/" + digest);
    std::string body;
    Sink sink;
    sink.memory = &body;
    sink.limit = limit;
    Response response = TRY(impl_->request(url, {}, sink, repository));
    if (response.status != 200)
        return impl_->http_error(url, response);
    if (sha256_digest(body) != digest)
        return Error::invalid("GET " + url + ": content does not match its digest");
    return body;
}

ErrorOr<void> RegistryClient::download_blob(const std::string& repository,
                                            const std::string& digest, const std::string& path,
                                            int64_t expected_size,
                                            const std::function<void(int64_t, int64_t)>& progress) {
    TRY(digest_hex(digest));
    std::string url = impl_->url_of("/v2/" + repository + "/blobs/" + digest);
    UniqueFd fd = TRY(sys::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600));
    Sha256 hasher;
    Sink sink;
    sink.fd = fd.get();
    sink.hasher = &hasher;
    sink.limit = expected_size > 0 ? static_cast<size_t>(expected_size) : 0;
    sink.progress = &progress;
    Response response = TRY(impl_->request(url, {}, sink, repository));
    if (response.status != 200)
        return impl_->http_error(url, response);
    std::string actual = hasher.digest();
    if (actual != digest)
        return Error::invalid("GET " + url + ": content does not match its digest (got " + actual +
                              ")");
    return sys::fsync(fd.get(), path);
}

}  // namespace corral::image
