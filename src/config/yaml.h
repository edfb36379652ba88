// The YAML edge: text → Value and Value → text. yaml-cpp's exceptions stop here and become
// errors that name the file, line and column.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "config/value.h"

namespace corral::config {

// Limits on what one document may make us allocate: aliases can multiply nodes.
inline constexpr size_t max_document_bytes = 4 << 20;
inline constexpr size_t max_document_nodes = 200000;
inline constexpr int max_document_depth = 64;

// Parses the first YAML document of `text`; an empty document is a null Value. `file` names
// the source in marks and messages ("cloud-config.yml:3:5: ...").
ErrorOr<Value> parse_yaml(std::string_view text, const std::string& file = {});

// Writes a Value as block-style YAML ending in a newline; a null Value gives "{}\n".
std::string emit_yaml(const Value& value);

// Formats "file:line:column: " (or as much of it as is known) for messages.
std::string format_mark(const Mark& mark);

}  // namespace corral::config
