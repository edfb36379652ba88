// How errors become HTTP responses: the status for each ErrorKind and docker's JSON body.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace corral::api {

int http_status(ErrorKind kind);
// {"message":"..."}
std::string error_body(std::string_view message);

}  // namespace corral::api
