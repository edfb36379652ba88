// The one conversion from a parsed service to the container the engines create: the
// engine::CreateRequest of compose::parse_service(), stamped with a hash of its definition,
// and its Docker Engine API body (POST /containers/create) for engines reached over a socket.
// Init creates system services with container_request() directly; `ros service` sends
// create_body(container_request()) over the API: the same container either way.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "compose/service.h"
#include "engine/types.h"

namespace corral::compose {

// The hash of the definition a container was created from: `up` recreates a container whose
// hash differs from the current definition's (unless io.rancher.os.remove is false).
inline constexpr std::string_view hash_label = "io.rancher.os.hash";

// "sha256:<hex>" of the request's create body, without the hash label itself.
std::string definition_hash(const engine::CreateRequest& request);

// The service's request with hash_label set.
engine::CreateRequest container_request(const Service& service);

// The Docker Engine API create body (Config fields at the top, HostConfig) of a request, as
// both our engine and Debian's dockerd read it. Binds the request asked to create
// (create_source) go in Binds, every other bind and volume in Mounts (in order), tmpfs in
// HostConfig.Tmpfs.
nlohmann::ordered_json create_body(const engine::CreateRequest& request);

}  // namespace corral::compose
