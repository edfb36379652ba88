// Decoding of what docker clients put in URLs: percent-encoding, query strings, booleans and
// numbers as the Engine API reads them, and the JSON "filters" parameter.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"

namespace corral::api {

// Decodes %XX escapes (and "+" as a space when `plus_as_space`, as in query strings).
ErrorOr<std::string> percent_decode(std::string_view text, bool plus_as_space);

// Limits on what a client may allocate through the URL.
inline constexpr size_t max_query_parameters = 64;
inline constexpr size_t max_filter_values = 256;

// "a=1&b=x%20y&a=2" → [{a, "1"}, {b, "x y"}, {a, "2"}], in order.
ErrorOr<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view query);

// The Engine API's boolean: "", "0", "no", "false" and "none" (any case) are false, anything
// else is true.
bool parse_bool(std::string_view text);

// A decimal integer within [min, max]; the error names the parameter.
ErrorOr<int64_t> parse_int(std::string_view text, std::string_view name, int64_t min = INT64_MIN,
                           int64_t max = INT64_MAX);

// Docker's filters: {"label": {"a=b": true}, "status": {"exited": true}} or the legacy
// {"label": ["a=b"]}; empty text means no filters. Values are sorted per key.
using Filters = std::map<std::string, std::vector<std::string>>;
ErrorOr<Filters> parse_filters(std::string_view json);
// Fails with "invalid filter 'x'" when a key is not in `accepted`.
ErrorOr<void> check_filter_keys(const Filters& filters, const std::set<std::string>& accepted);

// Event and log times as the CLI sends them: Unix seconds with an optional fraction
// ("1795839288", "1795839288.000000001"), or RFC 3339 ("2026-11-28T05:00:00Z"). Returns
// nanoseconds since the epoch; "" and "0" give 0.
ErrorOr<int64_t> parse_timestamp(std::string_view text, std::string_view name);

}  // namespace corral::api
