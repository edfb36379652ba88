#include "config/http.h"

#include <memory>

#include "base/curl_library.h"

namespace corral::config {

namespace {

struct Download {
    std::string body;
    size_t limit = 0;
    bool too_large = false;
};

size_t on_data(char* data, size_t size, size_t count, void* user) {
    auto* download = static_cast<Download*>(user);
    size_t bytes = size * count;
    if (download->body.size() + bytes > download->limit) {
        download->too_large = true;
        return 0;  // makes curl stop with CURLE_WRITE_ERROR
    }
    download->body.append(data, bytes);
    return bytes;
}

}  // namespace

bool is_http_url(std::string_view text) {
    return text.starts_with("http://") || text.starts_with("https://");
}

ErrorOr<std::string> http_get(const std::string& url, const HttpOptions& options) {
    if (!is_http_url(url))
        return Error::invalid("GET " + url + ": only http:// and https:// URLs");
    auto* curl_api = TRY_CONTEXT(curl_library(), "GET " + url);
    std::unique_ptr<CURL, void (*)(CURL*)> handle(curl_api->easy_init(), curl_api->easy_cleanup);
    if (!handle)
        return Error::internal("GET " + url + ": cannot create a curl handle");
    Download download;
    download.limit = options.max_bytes;
    char error_buffer[CURL_ERROR_SIZE] = {};
    CURL* curl = handle.get();
    curl_api->easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_api->easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_api->easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_api->easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_api->easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
    curl_api->easy_setopt(curl, CURLOPT_TIMEOUT, options.timeout_seconds);
    curl_api->easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, options.connect_timeout_seconds);
    curl_api->easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_api->easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_api->easy_setopt(curl, CURLOPT_WRITEDATA, &download);
    curl_api->easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
    curl_api->easy_setopt(curl, CURLOPT_USERAGENT, "corral-ros/" CORRAL_VERSION);
    CURLcode result = curl_api->easy_perform(curl);
    if (download.too_large)
        return Error(ErrorKind::too_large, "GET " + url + ": larger than " +
                                               std::to_string(options.max_bytes) + " bytes");
    if (result != CURLE_OK) {
        std::string reason = error_buffer[0] ? error_buffer : curl_api->easy_strerror(result);
        return Error(ErrorKind::unavailable, "GET " + url + ": " + reason);
    }
    long status = 0;
    curl_api->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 400) {
        ErrorKind kind = status == 404 ? ErrorKind::not_found : ErrorKind::unavailable;
        return Error(kind, "GET " + url + ": HTTP " + std::to_string(status));
    }
    return std::move(download.body);
}

}  // namespace corral::config
