// The HostConfig and NetworkingConfig parts of a create body (see create_body.h).
#pragma once

#include <string>

#include "api/json_fields.h"
#include "base/error.h"
#include "engine/types.h"

namespace corral::api {

ErrorOr<void> parse_host_config(Fields& fields, engine::HostConfig& host);
// Docker's ConsoleSize (HostConfig's, exec create's, exec start's): [height, width], each an
// integer from 0 to 65535 (a pty's size is 16 bits a side); null or absent is [0, 0].
ErrorOr<engine::ConsoleSize> parse_console_size(Fields& fields, std::string_view key);
// Endpoint settings are accepted only empty, for the container's own network mode.
ErrorOr<void> parse_networking_config(Fields& fields, const std::string& network_mode);
// Cross-field rules docker enforces at create time.
ErrorOr<void> check_host_config(const engine::CreateRequest& request);

}  // namespace corral::api
