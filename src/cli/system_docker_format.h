// Text the docker CLI prints, reproduced for system-docker: aligned tables, "5 seconds ago",
// "1.98MB", short ids, event timestamps.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace corral::cli {

// Go's units.HumanDuration wording: "Less than a second", "1 second", "About a minute",
// "3 hours", "2 weeks"...
std::string human_duration(int64_t seconds);
// Decimal units with three significant digits: "999B", "1.98MB", "77.9MB".
std::string human_size(double bytes);
// "sha256:abcdef..." or "abcdef..." → the first 12 hex digits.
std::string short_id(std::string_view id);
// At most `width` characters (code points); a cut string ends with "…".
std::string ellipsis(std::string_view text, size_t width);
// Nanoseconds since the epoch → "2026-11-28T05:14:24.374553281Z" (UTC, nine digits).
std::string format_timestamp_ns(int64_t nanoseconds);

// A --since/--until value as the API wants it ("seconds[.nanoseconds]" since the epoch): a
// Unix time passes through, a Go duration ("10m", "1h30m") counts back from `now_ns`, an
// RFC 3339 date or time ("2026-11-28", "2026-11-28T05:00:00Z") is converted.
ErrorOr<std::string> docker_timestamp(std::string_view value, int64_t now_ns);
ErrorOr<std::string> docker_timestamp(std::string_view value);

// Columns aligned as Go's text/tabwriter does: each cell but the last of a row is padded to
// the widest cell of its column plus `padding`, and to at least `min_width`.
class Table {
  public:
    explicit Table(size_t min_width = 10, size_t padding = 3)
        : min_width_(min_width), padding_(padding) {}
    void add_row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
    std::string render() const;

  private:
    size_t min_width_;
    size_t padding_;
    std::vector<std::vector<std::string>> rows_;
};

// Number of code points in UTF-8 text (what a terminal shows for most text).
size_t display_width(std::string_view text);

}  // namespace corral::cli
