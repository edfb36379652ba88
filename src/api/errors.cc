#include "api/errors.h"

#include <nlohmann/json.hpp>

namespace corral::api {

int http_status(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::invalid_argument:
            return 400;
        case ErrorKind::not_found:
            return 404;
        case ErrorKind::conflict:
            return 409;
        case ErrorKind::too_large:
            return 413;
        case ErrorKind::not_modified:
            return 304;
        case ErrorKind::permission_denied:
            return 403;
        case ErrorKind::unsupported:
            return 501;
        case ErrorKind::unavailable:
            return 503;
        case ErrorKind::internal:
            return 500;
    }
    return 500;
}

std::string error_body(std::string_view message) {
    nlohmann::json body = {{"message", std::string(message)}};
    // Replace invalid UTF-8 (from a path or a client's bytes) instead of throwing.
    return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace corral::api
