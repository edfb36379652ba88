#include "base/curl_library.h"

#include "base/dynamic_library.h"

namespace corral {

namespace {

ErrorOr<void> load(CurlApi& api) {
    auto library = TRY(DynamicLibrary::open(
        "libcurl.so.4",
        "fetching over HTTP(S) (image pulls, url: datasources, service repositories)",
        "libcurl4 (on CorralOS: the boot medium mounted on /run/corral/media)"));
    TRY(library.resolve(api.global_init, "curl_global_init"));
    TRY(library.resolve(api.easy_init, "curl_easy_init"));
    TRY(library.resolve(api.easy_setopt, "curl_easy_setopt"));
    TRY(library.resolve(api.easy_perform, "curl_easy_perform"));
    TRY(library.resolve(api.easy_getinfo, "curl_easy_getinfo"));
    TRY(library.resolve(api.easy_cleanup, "curl_easy_cleanup"));
    TRY(library.resolve(api.easy_strerror, "curl_easy_strerror"));
    TRY(library.resolve(api.easy_escape, "curl_easy_escape"));
    TRY(library.resolve(api.free, "curl_free"));
    TRY(library.resolve(api.slist_append, "curl_slist_append"));
    TRY(library.resolve(api.slist_free_all, "curl_slist_free_all"));
    if (api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return Error::internal("libcurl.so.4: curl_global_init failed");
    // libcurl keeps global state from here on.
    library.keep_loaded();
    return {};
}

}  // namespace

ErrorOr<const CurlApi*> curl_library() {
    return load_once<CurlApi, load>();
}

}  // namespace corral
