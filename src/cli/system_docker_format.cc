#include "cli/system_docker_format.h"

#include "base/sys.h"

#include <time.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <optional>

namespace corral::cli {

std::string human_duration(int64_t seconds) {
    auto plural = [](int64_t count, const char* unit) {
        return std::to_string(count) + " " + unit;
    };
    if (seconds < 1)
        return "Less than a second";
    if (seconds == 1)
        return "1 second";
    if (seconds < 60)
        return plural(seconds, "seconds");
    int64_t minutes = seconds / 60;
    if (minutes == 1)
        return "About a minute";
    if (minutes < 60)
        return plural(minutes, "minutes");
    // Hours round to the nearest; larger units count whole days of those rounded hours.
    int64_t hours = (seconds + 1800) / 3600;
    if (hours == 1)
        return "About an hour";
    if (hours < 48)
        return plural(hours, "hours");
    if (hours < 24 * 7 * 2)
        return plural(hours / 24, "days");
    if (hours < 24 * 30 * 2)
        return plural(hours / 24 / 7, "weeks");
    if (hours < 24 * 365 * 2)
        return plural(hours / 24 / 30, "months");
    return plural(seconds / 3600 / 24 / 365, "years");
}

std::string human_size(double bytes) {
    static const char* const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
    size_t unit = 0;
    while (bytes >= 1000.0 && unit + 1 < std::size(units)) {
        bytes /= 1000.0;
        ++unit;
    }
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.3g%s", bytes, units[unit]);
    return buffer;
}

std::string short_id(std::string_view id) {
    if (size_t colon = id.find(':'); colon != std::string_view::npos)
        id.remove_prefix(colon + 1);
    return std::string(id.substr(0, 12));
}

size_t display_width(std::string_view text) {
    // Count bytes that do not continue a UTF-8 sequence.
    return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
}

std::string ellipsis(std::string_view text, size_t width) {
    if (display_width(text) <= width)
        return std::string(text);
    if (width == 0)
        return {};
    size_t keep = width - 1;  // code points before the "…"
    size_t bytes = 0;
    for (size_t points = 0; bytes < text.size(); ++bytes) {
        if ((static_cast<unsigned char>(text[bytes]) & 0xC0) != 0x80) {
            if (points == keep)
                break;
            ++points;
        }
    }
    return std::string(text.substr(0, bytes)) + "…";
}

std::string format_timestamp_ns(int64_t nanoseconds) {
    time_t seconds = static_cast<time_t>(nanoseconds / 1000000000);
    int64_t fraction = nanoseconds % 1000000000;
    if (fraction < 0) {
        fraction += 1000000000;
        seconds -= 1;
    }
    struct tm parts {};
    ::gmtime_r(&seconds, &parts);
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ",
                  parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour,
                  parts.tm_min, parts.tm_sec, static_cast<long long>(fraction));
    return buffer;
}

namespace {

// "1h30m", "10s", "1.5h" → nanoseconds; nullopt when it is not a duration.
std::optional<int64_t> parse_go_duration(std::string_view text) {
    if (text.empty())
        return std::nullopt;
    long double total = 0;
    while (!text.empty()) {
        size_t digits = 0;
        while (digits < text.size() &&
               (std::isdigit(static_cast<unsigned char>(text[digits])) || text[digits] == '.'))
            ++digits;
        if (digits == 0)
            return std::nullopt;
        long double number = std::strtold(std::string(text.substr(0, digits)).c_str(), nullptr);
        text.remove_prefix(digits);
        static const std::pair<std::string_view, long double> units[] = {
            {"ns", 1},  {"us", 1e3}, {"µs", 1e3},  {"ms", 1e6},
            {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
        bool matched = false;
        for (const auto& [unit, scale] : units) {
            // Longest units first would matter for "ms" vs "m": "ms" is listed before "m".
            if (text.starts_with(unit)) {
                total += number * scale;
                text.remove_prefix(unit.size());
                matched = true;
                break;
            }
        }
        if (!matched)
            return std::nullopt;
    }
    if (total > 9.0e18L)
        return std::nullopt;
    return static_cast<int64_t>(total);
}

}  // namespace

ErrorOr<std::string> docker_timestamp(std::string_view value, int64_t now_ns) {
    std::string text(value);
    if (text.empty())
        return Error::invalid("empty timestamp");
    bool numeric = text.find_first_not_of("0123456789.") == std::string::npos;
    if (numeric)
        return text;
    if (auto duration = parse_go_duration(text)) {
        int64_t at = now_ns - *duration;
        char buffer[48];
        std::snprintf(buffer, sizeof buffer, "%lld.%09lld", static_cast<long long>(at / 1000000000),
                      static_cast<long long>(at % 1000000000));
        return std::string(buffer);
    }
    // RFC 3339 subset: DATE[THH:MM[:SS[.frac]]][Z|±HH:MM]
    struct tm parts {};
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    int consumed = 0;
    if (std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &year, &month, &day, &consumed) != 3)
        return Error::invalid("invalid timestamp: " + text);
    std::string_view rest = std::string_view(text).substr(static_cast<size_t>(consumed));
    std::string fraction;
    int64_t offset_seconds = 0;
    if (!rest.empty() && (rest.front() == 'T' || rest.front() == ' ')) {
        int used = 0;
        std::string tail(rest.substr(1));
        int fields =
            std::sscanf(tail.c_str(), "%2d:%2d%n:%2d%n", &hour, &minute, &used, &second, &used);
        if (fields < 2)
            return Error::invalid("invalid timestamp: " + text);
        rest = rest.substr(1 + static_cast<size_t>(used));
        if (!rest.empty() && rest.front() == '.') {
            size_t end = 1;
            while (end < rest.size() && std::isdigit(static_cast<unsigned char>(rest[end])))
                ++end;
            fraction = std::string(rest.substr(1, end - 1)).substr(0, 9);
            rest.remove_prefix(end);
        }
    }
    if (rest == "Z" || rest.empty()) {
        offset_seconds = 0;
    } else if ((rest.front() == '+' || rest.front() == '-') && rest.size() == 6 && rest[3] == ':') {
        int offset_hours = std::atoi(std::string(rest.substr(1, 2)).c_str());
        int offset_minutes = std::atoi(std::string(rest.substr(4, 2)).c_str());
        offset_seconds =
            (offset_hours * 3600 + offset_minutes * 60) * (rest.front() == '-' ? -1 : 1);
    } else {
        return Error::invalid("invalid timestamp: " + text);
    }
    parts.tm_year = year - 1900;
    parts.tm_mon = month - 1;
    parts.tm_mday = day;
    parts.tm_hour = hour;
    parts.tm_min = minute;
    parts.tm_sec = second;
    int64_t seconds = static_cast<int64_t>(::timegm(&parts)) - offset_seconds;
    while (fraction.size() < 9)
        fraction += '0';
    return std::to_string(seconds) + "." + fraction;
}

ErrorOr<std::string> docker_timestamp(std::string_view value) {
    return docker_timestamp(value, sys::realtime_ns());
}

std::string Table::render() const {
    std::vector<size_t> widths;
    for (const auto& row : rows_) {
        // The last cell of a row is not aligned, so it does not widen its column.
        for (size_t column = 0; column + 1 < row.size(); ++column) {
            if (widths.size() <= column)
                widths.resize(column + 1, 0);
            widths[column] = std::max(widths[column], display_width(row[column]));
        }
    }
    std::string out;
    for (const auto& row : rows_) {
        for (size_t column = 0; column < row.size(); ++column) {
            out += row[column];
            if (column + 1 < row.size()) {
                size_t width = std::max(widths[column] + padding_, min_width_);
                out.append(width - display_width(row[column]), ' ');
            }
        }
        out += '\n';
    }
    return out;
}

}  // namespace corral::cli
