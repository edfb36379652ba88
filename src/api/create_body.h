// Request bodies of the container endpoints, parsed into the engine's types. Every field the
// stock docker CLIs (20.10 and 28.x) send is known: supported ones are mapped, the others are
// accepted at their default value and refused (400, naming the field) otherwise; unknown
// fields are refused too.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "engine/engine.h"
#include "engine/types.h"

namespace corral::api {

// Limits on what one create request may ask for.
inline constexpr size_t max_create_body = 1 << 20;

// POST /containers/create: the body plus the "name" query parameter.
ErrorOr<engine::CreateRequest> parse_create_body(std::string_view body, std::string name);

// "src:dst[:options]" (docker's -v): a bind mount when src is a path, else a named volume.
ErrorOr<engine::MountSpec> parse_bind(std::string_view bind);
// "1m", "512k", "2g", "100" (binary units, as docker's log-opt max-size).
ErrorOr<uint64_t> parse_size(std::string_view text, std::string_view field);
// Docker's container-name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+ with an optional leading "/".
ErrorOr<std::string> validate_container_name(std::string_view name);

// POST /containers/{id}/exec
ErrorOr<engine::ExecConfig> parse_exec_body(std::string_view body);
// POST /exec/{id}/start
ErrorOr<engine::ExecStartOptions> parse_exec_start_body(std::string_view body);

}  // namespace corral::api
