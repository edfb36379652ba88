// The container record on disk: <data_root>/containers/<id>/container.json, our own JSON
// format (version 1), written atomically at every change.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "engine/types.h"

namespace corral::engine {

inline constexpr size_t max_state_file_size = 4 << 20;

std::string serialize_container(const Container& container);
// Strict about types and required fields (a record that does not parse is reported, not
// guessed at); keys it does not know are ignored, so a newer engine's records stay readable.
ErrorOr<Container> parse_container(std::string_view text);

}  // namespace corral::engine
