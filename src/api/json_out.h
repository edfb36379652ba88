// The engine's and the image store's objects in the Docker Engine API's JSON shapes.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "engine/types.h"
#include "image/registry.h"
#include "image/store.h"

namespace corral::api {

// Go's RFC3339Nano as docker prints it: "2026-11-28T05:13:57.123456789Z", trailing zeros of
// the fraction dropped; 0 gives Go's zero time "0001-01-01T00:00:00Z".
std::string rfc3339_nano(int64_t ns);
// "Less than a second", "3 seconds", "About a minute", "5 hours"...
std::string human_duration(int64_t ns);
// `docker ps`'s STATUS column: "Up 3 minutes", "Exited (0) 2 seconds ago", "Created".
std::string status_text(const engine::ContainerState& state, int64_t now_ns);

// GET /containers/{id}/json
nlohmann::json container_inspect_json(const engine::Container& container);
// One entry of GET /containers/json; `image` is what the user named (Config.Image).
nlohmann::json container_summary_json(const engine::Container& container, int64_t now_ns);

// GET /images/json entry and GET /images/{name}/json.
nlohmann::json image_summary_json(const image::Image& image);
nlohmann::json image_inspect_json(const image::Image& image);
nlohmann::json image_history_json(const image::Image& image);

// GET /exec/{id}/json
nlohmann::json exec_inspect_json(const engine::ExecInfo& exec);

// One /events message: Type, Action, Actor{ID, Attributes}, scope, time, timeNano, and the
// legacy status/id/from fields for container and image events.
nlohmann::json event_json(const engine::Event& event);

// One progress line of pull/load: {"status", "id", "progressDetail", "progress"}.
nlohmann::json progress_json(const image::ProgressRecord& record);

// GET /info's RegistryConfig as dockerd fills it from its insecure registries: the configured
// ranges and the loopback ones (always plain HTTP here too) in InsecureRegistryCIDRs; in
// IndexConfigs docker.io (secure, official) and each configured name (not secure); no mirrors.
nlohmann::json registry_config_json(const image::InsecureRegistryList& insecure);

// Dumps for the wire: invalid UTF-8 replaced, never throwing.
std::string dump(const nlohmann::json& value);

}  // namespace corral::api
