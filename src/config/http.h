// Fetching a document over HTTP(S) with libcurl (opened on first use, base/curl_library.h): service
// repositories and the url: datasource.
#pragma once

#include <string>

#include "base/error.h"

namespace corral::config {

struct HttpOptions {
    size_t max_bytes = 4 << 20;
    long timeout_seconds = 30;
    long connect_timeout_seconds = 10;
};

// GETs an http:// or https:// URL, following up to 5 redirects. Errors name the URL and the
// reason ("GET http://x/index.yml: HTTP 404", "...: Couldn't connect to server").
ErrorOr<std::string> http_get(const std::string& url, const HttpOptions& options = {});

bool is_http_url(std::string_view text);

}  // namespace corral::config
