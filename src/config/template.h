// The `{{.VAR}}` templates of RancherOS's built-in config (os-config.tpl.yml): a small subset
// of Go's text/template — `{{.NAME}}`, `{{if COND}}…{{else}}…{{end}}` with COND one of `.NAME`
// (true when not empty), `eq A B`, `ne A B` (A, B are `.NAME` or "literal"), and the `{{-`/`-}}`
// whitespace trimming markers.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "base/error.h"

namespace corral::config {

inline constexpr size_t max_template_bytes = 1 << 20;

// Renders `text`; a `{{.NAME}}` output of an unknown variable is an error naming it (in
// conditions an unknown variable is empty).
ErrorOr<std::string> render_template(std::string_view text,
                                     const std::map<std::string, std::string>& variables);

}  // namespace corral::config
