// libcurl, opened on first use instead of linked: libcurl with its TLS, Kerberos, LDAP and IDN
// libraries is about 10 MB that only a pull or a URL fetch uses. Programs that never fetch
// (init until a pull, every `ros` and `system-docker` command that does not fetch) never map
// it, and the initrd does not carry it (scripts/build-image: it is on the boot medium).
#pragma once

#include <curl/curl.h>

#include "base/error.h"

namespace corral {

// The entry points of libcurl's ABI 4 (soname libcurl.so.4, every libcurl 7.x and 8.x) that
// corral calls, typed by the libcurl headers.
struct CurlApi {
    CURLcode (*global_init)(long flags);
    CURL* (*easy_init)();
    CURLcode (*easy_setopt)(CURL* handle, CURLoption option, ...);
    CURLcode (*easy_perform)(CURL* handle);
    CURLcode (*easy_getinfo)(CURL* handle, CURLINFO info, ...);
    void (*easy_cleanup)(CURL* handle);
    const char* (*easy_strerror)(CURLcode code);
    char* (*easy_escape)(CURL* handle, const char* text, int length);
    void (*free)(void* pointer);
    curl_slist* (*slist_append)(curl_slist* list, const char* text);
    void (*slist_free_all)(curl_slist* list);
};

// Opens libcurl once per process (and runs curl_global_init); it stays loaded. The error
// names the library and its package: "libcurl.so.4 not found: fetching over HTTP(S) ...
// needs libcurl4 (...)".
ErrorOr<const CurlApi*> curl_library();

}  // namespace corral
