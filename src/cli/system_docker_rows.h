// `--format` for listing commands (ps, images): each row is an object with the docker CLI's
// field names (.ID, .Names, .Status...), rendered through a template; "table ..." adds a header
// row and aligns the columns.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "cli/system_docker_template.h"

namespace corral::cli {

// Column headers by field name ("ID" → "CONTAINER ID").
using FieldHeaders = std::map<std::string, std::string, std::less<>>;

ErrorOr<std::string> render_rows(std::string_view format, const std::vector<Json>& rows,
                                 const FieldHeaders& headers);

}  // namespace corral::cli
